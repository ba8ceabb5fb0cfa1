"""The 15 December balance expiry (docs/program.md section 3 and 4).

Unspent training balance expires at 23:59:59 WIB on 15 December of the budget year
(``Participant.balance_expires_at``, set by ``grant_balance``). From that instant on, every
positive balance is taken to zero with one ``expiry`` ledger entry, set-based, in keyset batches,
each batch its own short transaction. Idempotent: a participant has at most one expiry entry (a
database constraint) and a zero balance is never touched again.
"""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from participants.models import LedgerEntry, Participant

logger = logging.getLogger(__name__)

REFERENCE = "expiry"


@dataclasses.dataclass(frozen=True)
class ExpiryResult:
    expired: int
    amount_idr: int
    batches: int


def candidates(*, now: dt.datetime):
    """Positive balances past their expiry that have no expiry entry yet."""
    return Participant.objects.filter(balance_idr__gt=0, balance_expires_at__lte=now).exclude(
        ledger_entries__kind=LedgerEntry.Kind.EXPIRY
    )


BATCH_SQL = """
WITH batch AS (
    SELECT p.id, p.balance_idr AS old_balance
    FROM {participant} p
    WHERE p.balance_idr > 0
      AND p.balance_expires_at <= %(now)s
      AND p.id > %(after)s
      AND NOT EXISTS (
          SELECT 1 FROM {ledger} l WHERE l.participant_id = p.id AND l.kind = 'expiry'
      )
    ORDER BY p.id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
expired AS (
    UPDATE {participant} p
    SET balance_idr = 0, updated_at = %(now)s
    FROM batch
    WHERE p.id = batch.id AND p.balance_idr = batch.old_balance
    RETURNING p.id, batch.old_balance
),
entries AS (
    INSERT INTO {ledger} (participant_id, kind, amount_idr, balance_after_idr, reference,
                          created_at)
    SELECT e.id, 'expiry', -e.old_balance, 0, %(reference)s, %(now)s FROM expired e
)
SELECT (SELECT max(id) FROM batch),
       (SELECT count(*) FROM expired),
       (SELECT coalesce(sum(old_balance), 0) FROM expired)
"""


def expire_balances(
    *, now: dt.datetime | None = None, batch_size: int | None = None
) -> ExpiryResult:
    """Expire every positive balance whose ``balance_expires_at`` is at or before ``now``.

    Each batch (at most ``SWEEP_BATCH_SIZE`` participants) is one transaction: the balance is set
    to zero by a conditional UPDATE (a concurrent debit that committed first changes the amount
    and makes the row skip to the next run) and the ``expiry`` ledger entry is written with the
    amount taken. Running it again changes nothing. Returns the counts.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    expired = amount = batches = 0
    after = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                last_id, count, total = _batch_postgres(now=now, after=after, limit=batch_size)
            else:
                last_id, count, total = _batch_orm(now=now, after=after, limit=batch_size)
        if last_id is None:
            break
        after = last_id
        if count:
            expired += count
            amount += total
            batches += 1
    logger.info("balances expired", extra={"expired": expired, "amount_idr": amount})
    return ExpiryResult(expired=expired, amount_idr=amount, batches=batches)


def _batch_postgres(*, now: dt.datetime, after: int, limit: int) -> tuple[int | None, int, int]:
    sql = BATCH_SQL.format(
        participant=Participant._meta.db_table, ledger=LedgerEntry._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "after": after, "limit": limit, "reference": REFERENCE})
        last_id, count, total = cursor.fetchone()
    return last_id, count, int(total)


def _batch_orm(*, now: dt.datetime, after: int, limit: int) -> tuple[int | None, int, int]:
    # SQLite: one writer at a time, so the balances read here are the ones we zero.
    rows = list(
        candidates(now=now)
        .filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "balance_idr")[:limit]
    )
    if not rows:
        return None, 0, 0
    Participant.objects.filter(pk__in=[pk for pk, _ in rows]).update(balance_idr=0, updated_at=now)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            participant_id=pk,
            kind=LedgerEntry.Kind.EXPIRY,
            amount_idr=-balance,
            balance_after_idr=0,
            reference=REFERENCE,
            created_at=now,
        )
        for pk, balance in rows
    )
    return rows[-1][0], len(rows), sum(balance for _, balance in rows)
