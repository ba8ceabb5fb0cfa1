"""Partner API credentials: issuing keys and authenticating signed requests.

A platform signs every request with HMAC-SHA256 over ``"{timestamp}.{METHOD}.{path}.{raw body}"``
(docs/partner-api.md). The secret is shown once when issued and stored only Fernet-encrypted
(``prakerja.crypto.encrypt``), so a database dump alone does not reveal it.
"""

import datetime as dt
import functools
import hashlib
import hmac
import logging
import re
import secrets

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import DomainError
from prakerja import crypto, db, redis_client
from trainings.models import PartnerCredential, Platform

logger = logging.getLogger(__name__)

SIGNATURE_WINDOW_SECONDS = 300
# A signature is remembered for as long as its timestamp can still be accepted (300 s either
# side of the server's clock), plus a margin for clock steps.
REPLAY_MEMORY_SECONDS = 2 * SIGNATURE_WINDOW_SECONDS + 60
# What the headers may look like at all; anything else is refused before it reaches a database
# query or float arithmetic (a 400-digit timestamp once overflowed into a 500).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


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


class RequestReplayed(AuthenticationFailed):
    code = "request_replayed"
    message = _(
        "Permintaan yang sama persis (tanda tangan yang sama) sudah pernah diterima. "
        "Tandatangani ulang permintaan dengan X-Timestamp baru."
    )


class ReplayCheckUnavailable(DomainError):
    """The replay cache (Redis) cannot be reached: a write is refused rather than risk
    accepting a captured request twice. A retry with the same Idempotency-Key is safe."""

    code = "service_unavailable"
    message = _("Layanan sedang mengalami gangguan. Silakan coba lagi beberapa saat lagi.")


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

    Checks, in order: all three headers present; the timestamp Unix seconds within 300 s of
    ``now``; the key known, not revoked and its platform active; the signature equal (constant
    time) to ours; the signature not seen before within the window (:class:`RequestReplayed`;
    :class:`ReplayCheckUnavailable` for a write when the replay cache cannot be reached).
    """
    if not key or not timestamp or not signature:
        raise MissingCredentials()
    now = now or timezone.now()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise StaleTimestamp()
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        raise StaleTimestamp()
    if not _KEY.fullmatch(key):
        raise UnknownKey()
    if not _SIGNATURE.fullmatch(signature.strip()):
        raise InvalidSignature()
    found = _active_credential(key)
    if found is None:
        raise UnknownKey()
    secret_encrypted, platform = found
    expected = sign(
        secret=crypto.decrypt(secret_encrypted),
        timestamp=timestamp,
        method=method,
        path=path,
        body=body,
    )
    given = signature.strip().lower()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise InvalidSignature()
    _remember_signature(signature=given, method=method)
    return platform


_PLATFORM_FIELDS = tuple(field.attname for field in Platform._meta.concrete_fields)


@functools.cache
def _active_credential_sql() -> str:
    columns = ", ".join(f"p.{Platform._meta.get_field(name).column}" for name in _PLATFORM_FIELDS)
    return f"""
        SELECT c.secret_encrypted, {columns}
        FROM {PartnerCredential._meta.db_table} c
        JOIN {Platform._meta.db_table} p ON p.id = c.platform_id
        WHERE c.key = %s AND c.revoked_at IS NULL AND p.is_active
    """  # noqa: S608 (names from the models)


def _active_credential(key: str) -> tuple[str, Platform] | None:
    """The encrypted secret of the unrevoked ``key`` of an active platform, and the platform.

    Raw SQL: every partner request starts here, and the ORM spends more CPU building this join
    than the database spends answering it (``scripts/profile_api.py``)."""
    using = router.db_for_read(PartnerCredential)
    with connections[using].cursor() as cursor:
        cursor.execute(_active_credential_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], db.from_row(Platform, _PLATFORM_FIELDS, row[1:], using=using)


def _remember_signature(*, signature: str, method: str) -> None:
    """Accept a signature once: an exact signed request resent within the window (whatever its
    unsigned ``Idempotency-Key``) is refused.

    The memory is the shared cache (Redis). When it cannot be reached, a read goes through
    (replaying a read changes nothing) and a write is refused with 503, so a captured request can
    never be replayed during an outage; partners retry writes safely with the same
    Idempotency-Key.

    With Redis, one ``SET NX`` on the process's shared client (``prakerja.redis_client``) under
    the cache's own key: Django's Redis cache builds a new client object for every call, which
    cost more CPU than the command. Without Redis (``make run``), the local cache.
    """
    cache = caches["default"]
    name = f"partner-signature:{signature}"
    try:
        if settings.REDIS_URL:
            client = redis_client.client(settings.REDIS_URL)
            first = client.set(cache.make_key(name), 1, nx=True, ex=REPLAY_MEMORY_SECONDS)
        else:
            first = cache.add(name, 1, timeout=REPLAY_MEMORY_SECONDS)
    except Exception:  # redis.RedisError, OSError: the cache backend's own exceptions
        logger.warning("partner api: replay cache unreachable", exc_info=True)
        if method.upper() in ("GET", "HEAD", "OPTIONS"):
            return
        raise ReplayCheckUnavailable() from None
    if not first:
        raise RequestReplayed()
