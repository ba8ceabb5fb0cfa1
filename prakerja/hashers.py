"""The password hasher, with its cost chosen on purpose (issue 14, docs/performance.md).

OWASP's Password Storage Cheat Sheet recommends Argon2id with at least 19 MiB of memory, two
iterations and one degree of parallelism (m=19456 KiB, t=2, p=1). Django's own defaults (100 MiB,
t=2, p=8) cost 180-220 ms and 1.8 cores per hash on our 2-core web hosts: at the launch-day peak of
1,333 registrations per second that is hundreds of cores and 13 GiB of memory in flight. At the
OWASP parameters one hash costs about 22 ms of one core and 19 MiB, which keeps registration
bound by the database rather than the hasher while staying at the recommended strength.

Django calls ``must_update`` on every successful login: a hash made with other parameters
(or by another hasher listed after this one) is re-encoded with these at that moment.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum: 19 MiB, 2 iterations, 1 lane.

    Keeps the algorithm name ``argon2`` so hashes written by Django's stock hasher are read by
    this one and upgraded at the next login.
    """

    memory_cost = 19_456  # KiB = 19 MiB
    time_cost = 2
    parallelism = 1
