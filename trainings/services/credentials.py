"""Partner API credentials: issuing keys and authenticating signed requests.

A platform signs every request with HMAC-SHA256 over ``"{timestamp}.{METHOD}.{path}.{raw body}"``
(docs/partner-api.md). The secret is shown once when issued and stored only Fernet-encrypted
(``participants.crypto.encrypt``), so a database dump alone does not reveal it.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants import crypto
from participants.models import DomainError
from trainings.models import PartnerCredential, Platform

SIGNATURE_WINDOW_SECONDS = 300


class AuthenticationFailed(DomainError):
    """Any refusal of a request's credentials; the API answers 401 with the ``code``."""

    code = "unauthorized"
    message = _("Permintaan tidak terautentikasi.")


class MissingCredentials(AuthenticationFailed):
    code = "missing_credentials"
    message = _("Header X-Partner-Key, X-Timestamp dan X-Signature wajib diisi.")


class UnknownKey(AuthenticationFailed):
    code = "unknown_key"
    message = _("X-Partner-Key tidak dikenal atau sudah dicabut.")


class StaleTimestamp(AuthenticationFailed):
    code = "stale_timestamp"
    message = _("X-Timestamp berbeda lebih dari 300 detik dari jam server.")


class InvalidSignature(AuthenticationFailed):
    code = "invalid_signature"
    message = _("X-Signature tidak cocok dengan isi permintaan.")


def signing_string(*, timestamp: str, method: str, path: str, body: bytes) -> bytes:
    """The exact bytes a platform signs: ``{timestamp}.{METHOD}.{path with query}.{raw body}``."""
    return f"{timestamp}.{method.upper()}.{path}.".encode() + body


def sign(*, secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of :func:`signing_string` under ``secret``."""
    message = signing_string(timestamp=timestamp, method=method, path=path, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue_partner_key(*, platform: Platform, now: dt.datetime | None = None) -> tuple[str, str]:
    """Create a new key pair for ``platform`` and return ``(key, secret)``.

    The secret is returned only here; the database keeps it Fernet-encrypted. Earlier keys stay
    valid until revoked (so a platform can rotate without downtime).
    """
    key = f"pk_{platform.code}_{secrets.token_hex(12)}"[:64]
    secret = secrets.token_urlsafe(32)
    _store(platform=platform, key=key, secret=secret, now=now)
    return key, secret


def ensure_demo_key(*, platform: Platform, now: dt.datetime | None = None) -> tuple[str, str]:
    """The demo key pair of ``platform``, for ``seed_demo`` only.

    Its secret is derived from ``SECRET_KEY`` (HMAC of the platform code), so re-seeding prints
    the same, still valid, secret without storing it in clear. Never use for real partners: anyone
    with ``SECRET_KEY`` can derive it.
    """
    key = f"demo_{platform.code}"[:64]
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"demo-partner:{platform.code}".encode(), hashlib.sha256
    )
    secret = digest.hexdigest()
    if not PartnerCredential.objects.filter(key=key).exists():
        _store(platform=platform, key=key, secret=secret, now=now)
    return key, secret


def _store(*, platform: Platform, key: str, secret: str, now: dt.datetime | None) -> None:
    PartnerCredential.objects.create(
        platform=platform,
        key=key,
        secret_encrypted=crypto.encrypt(secret),
        created_at=now or timezone.now(),
    )


def revoke_partner_key(
    *, credential: PartnerCredential, now: dt.datetime | None = None
) -> PartnerCredential:
    """Revoke a key; requests signed with it are refused from now on. Idempotent."""
    PartnerCredential.objects.filter(pk=credential.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    credential.refresh_from_db()
    return credential


def authenticate_request(
    *,
    key: str | None,
    timestamp: str | None,
    signature: str | None,
    method: str,
    path: str,
    body: bytes,
    now: dt.datetime | None = None,
) -> Platform:
    """Return the platform that signed this request, or raise an :class:`AuthenticationFailed`.

    Checks, in order: all three headers present; the timestamp within 300 s of ``now``; the key
    known, not revoked and its platform active; the signature equal (constant time) to ours.
    """
    if not key or not timestamp or not signature:
        raise MissingCredentials()
    now = now or timezone.now()
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise StaleTimestamp() from None
    if abs(now.timestamp() - sent_at) > SIGNATURE_WINDOW_SECONDS:
        raise StaleTimestamp()
    credential = (
        PartnerCredential.objects.select_related("platform")
        .filter(key=key, revoked_at__isnull=True, platform__is_active=True)
        .first()
    )
    if credential is None:
        raise UnknownKey()
    expected = sign(
        secret=crypto.decrypt(credential.secret_encrypted),
        timestamp=timestamp,
        method=method,
        path=path,
        body=body,
    )
    given = signature.strip().lower().encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.encode(), given):
        raise InvalidSignature()
    return credential.platform
