"""The password hasher, with its cost chosen on purpose (docs/performance.md).

OWASP's Password Storage Cheat Sheet recommends Argon2id with one of five configurations that
"provide an equal level of defense, and the only difference is a trade off between CPU and RAM
usage": m=47104 KiB (46 MiB), t=1; m=19456 (19 MiB), t=2; m=12288 (12 MiB), t=3; m=9216 (9 MiB),
t=4; m=7168 (7 MiB), t=5; each with p=1. Django's own defaults (100 MiB, t=2, p=8) cost
180-220 ms and 1.8 cores per hash on our 2-core web hosts: at the launch-day peak of 1,333
registrations per second that is hundreds of cores and 13 GiB of memory in flight.

We use the 7 MiB row. Measured on this 2-core machine (AMD EPYC, 32 MiB of L3 cache shared by
both cores), one hash alone: 46 MiB/t=1 about 57 ms (above glibc's 32 MiB mmap threshold, every
hash faults its memory in afresh), 19 MiB/t=2 about 22 ms, 7 MiB/t=5 about 15 ms. With four
gunicorn workers hashing at once, 19 MiB/t=2 cost 23.8 ms of CPU per hash and 7 MiB/t=5 18.2 ms:
four 7 MiB blocks stay in the shared cache, four 19 MiB blocks do not. The same defence for about
a quarter less CPU on the registration path, and 7 MiB instead of 19 MiB of memory per hash in
flight.

Django calls ``must_update`` on every successful login: a hash made with other parameters
(the 19 MiB ones used before, Django's 100 MiB ones, or another hasher listed after this one) is
re-encoded with these at that moment.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's 7 MiB configuration: 7 MiB, 5 iterations, 1 lane.

    Keeps the algorithm name ``argon2`` so hashes written by Django's stock hasher are read by
    this one and upgraded at the next login.
    """

    memory_cost = 7_168  # KiB = 7 MiB
    time_cost = 5
    parallelism = 1
