"""Protecting personal data at rest: keyed hashes for lookups, Fernet for values, masking.

Keys come from settings at call time (never at import), so tests and key rotation can change them.
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode() if key else base64.urlsafe_b64encode(_derive("prakerja-fernet")))


def _hash_key() -> bytes:
    return settings.NIK_HASH_KEY.encode() if settings.NIK_HASH_KEY else _derive("prakerja-nik")


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` under NIK_HASH_KEY: equal inputs give equal hashes, and a
    database dump alone cannot be reversed by trying all 10^16 NIKs."""
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()


def bulk_keyed_hasher() -> Callable[[bytes], str]:
    """:func:`keyed_hash` for millions of values (the state's lists): the same HMAC-SHA256 under
    NIK_HASH_KEY, with the key's inner and outer digests computed once and copied for each value,
    which costs half of building an ``hmac`` object per value. Takes bytes, returns hex."""
    key = _hash_key()
    if len(key) > hashlib.sha256().block_size:
        key = hashlib.sha256(key).digest()
    key = key.ljust(hashlib.sha256().block_size, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    inner_copy, outer_copy = inner.copy, outer.copy

    def hasher(value: bytes) -> str:
        digest = inner_copy()
        digest.update(value)
        result = outer_copy()
        result.update(digest.digest())
        return result.hexdigest()

    return hasher


def encrypt(value: str) -> str:
    return _fernet(settings.DATA_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a value made by :func:`encrypt`; raises ``ValueError`` on a bad token."""
    try:
        return _fernet(settings.DATA_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt value") from exc


def mask_nik(nik: str) -> str:
    """``3201234567890001`` -> ``************0001``.

    Only the serial (the last four digits) shows: the first twelve are the district code and the
    birth date with the gender, which anyone who knows the person can derive (docs/privacy.md)."""
    if len(nik) < 8:
        return "*" * len(nik)
    return "*" * (len(nik) - 4) + nik[-4:]


def mask_card(card_number: str) -> str:
    """``5000123412341234`` -> ``5000********1234``."""
    if len(card_number) < 8:
        return "*" * len(card_number)
    return card_number[:4] + "*" * (len(card_number) - 8) + card_number[-4:]
