"""One-time passwords: generation, storage form and checking. Shared by phone verification
(participants) and payment confirmation (trainings).

Codes come from ``secrets``; only an HMAC of the code, bound to its purpose (e.g. a payment id),
is stored, and codes are compared in constant time.
"""

import hashlib
import hmac
import secrets

from django.conf import settings


def generate_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def hash_code(code: str, *, purpose: str) -> str:
    key = hashlib.sha256(f"otp:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(code: str, *, purpose: str, code_hash: str) -> bool:
    return hmac.compare_digest(hash_code(code, purpose=purpose), code_hash)
