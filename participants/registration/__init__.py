"""From "Daftar" to a complete profile, one module a part:

- ``steps``: the account, the email link, the identity, the phone and the declarations;
- ``mail``: the registration emails, queued and sent in batches;
- ``nik``: the NIK rules; ``areas``: the provinces, regencies and districts;
- ``registry``: the civil-registry (Dukcapil) client behind the identity check;
- ``basic_test`` and ``question_bank``: the basic test and its questions.
"""
