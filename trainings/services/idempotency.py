"""Idempotency keys of the partner API: a POST retried with the same ``Idempotency-Key`` gets the
first response again, and the work is done once (docs/partner-api.md).

The record is inserted in the same transaction as the work. Two concurrent requests with one key
both run, but the database's unique constraint on ``(platform, key)`` lets only one commit: the
other rolls back everything it did (its debit, its payment, its queued SMS) and replays the
winner's response.
"""

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from prakerja import db
from trainings.models import IdempotencyRecord, Platform
from trainings.services.errors import IdempotencyKeyReused

Response = tuple[int, dict]


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """What "the same request" means: method, path with query, and the raw body."""
    digest = hashlib.sha256()
    digest.update(f"{method.upper()} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def run_idempotent(
    *,
    platform: Platform,
    key: str,
    fingerprint: str,
    work: Callable[[], Response],
    now: dt.datetime | None = None,
) -> tuple[int, dict, bool]:
    """Run ``work`` once per ``(platform, key)`` and return ``(status, body, replayed)``.

    ``work`` must turn domain errors into a response itself (they are stored and replayed like a
    success, so a wrong OTP retried with its key does not count twice); any other exception rolls
    the work back and stores nothing. Raises :class:`IdempotencyKeyReused` when the key was used
    with another request.
    """
    existing = _recorded(platform=platform, key=key)
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            status, body = work()
            db.insert(
                IdempotencyRecord(
                    platform=platform,
                    key=key,
                    request_hash=fingerprint,
                    response_status=status,
                    response_body=body,
                    created_at=now or timezone.now(),
                )
            )
    except IntegrityError:
        existing = _recorded(platform=platform, key=key)
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return status, body, False


_RECORD_FIELDS = ("request_hash", "response_status", "response_body")


def _recorded(*, platform: Platform, key: str) -> IdempotencyRecord | None:
    """The record of ``key``, if any: raw SQL, read before every POST of the partner API."""
    using = router.db_for_read(IdempotencyRecord)
    connection = connections[using]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {', '.join(map(quote, _RECORD_FIELDS))} "  # noqa: S608 (names from the model)
        f"FROM {quote(IdempotencyRecord._meta.db_table)} "
        f"WHERE {quote('platform_id')} = %s AND {quote('key')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [platform.pk, key])
        row = cursor.fetchone()
    return None if row is None else db.from_row(IdempotencyRecord, _RECORD_FIELDS, row, using=using)


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, dict, bool]:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return record.response_status, record.response_body, True
