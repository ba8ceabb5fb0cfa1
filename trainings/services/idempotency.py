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

from django.db import IntegrityError, transaction
from django.utils import timezone

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
    existing = IdempotencyRecord.objects.filter(platform=platform, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            status, body = work()
            IdempotencyRecord.objects.create(
                platform=platform,
                key=key,
                request_hash=fingerprint,
                response_status=status,
                response_body=body,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(platform=platform, key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return status, body, False


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, dict, bool]:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return record.response_status, record.response_body, True
