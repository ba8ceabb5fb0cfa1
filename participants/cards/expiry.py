"""The 15 December balance expiry (docs/program.md section 3 and 4).

Unspent training balance expires at 23:59:59 WIB on 15 December of the budget year
(``Participant.balance_expires_at``, set by ``grant_balance``). From that instant on, every
positive balance is taken to zero with one ``expiry`` ledger entry, set-based, in keyset batches,
each batch its own short transaction. Whoever never bought a training (selected or active, no
purchase) moves to status ``expired`` ("Saldo kedaluwarsa") with an audit row: not a revocation,
no blacklist (docs/program.md section 4: nobody is revoked for not buying after the balance
expired).
Idempotent: a participant has at most one expiry entry (a database constraint) and a zero balance
is never touched again. The writes are ``participants.services``'; this module picks the batches.
"""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from participants import selectors, services
from participants.models import LedgerEntry, Participant

logger = logging.getLogger(__name__)

REFERENCE = "expiry"
REASON = "balance_expired"


@dataclasses.dataclass(frozen=True)
class ExpiryResult:
    expired: int
    amount_idr: int
    batches: int
    # Of ``expired``, how many never bought and moved to status ``expired``.
    moved_to_expired: int = 0


def candidates(*, now: dt.datetime):
    """Positive balances past their expiry that have no expiry entry yet."""
    return Participant.objects.filter(balance_idr__gt=0, balance_expires_at__lte=now).exclude(
        ledger_entries__kind=LedgerEntry.Kind.EXPIRY
    )


def expire_balances(
    *, now: dt.datetime | None = None, batch_size: int | None = None
) -> ExpiryResult:
    """Expire every positive balance whose ``balance_expires_at`` is at or before ``now``.

    Each batch (at most ``SWEEP_BATCH_SIZE`` participants, rows a purchase holds skipped until
    the next run) is one transaction: those who never bought move to ``expired``
    (``transition_statuses``), then every balance of the batch goes to zero with its ``expiry``
    ledger entry (``bulk_zero_balances``). Running it again changes nothing. Returns the counts.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    expired = amount = batches = moved = 0
    after = 0
    while True:
        with transaction.atomic():
            last_id, count, total, statuses = _batch(now=now, after=after, limit=batch_size)
        if last_id is None:
            break
        after = last_id
        if count:
            expired += count
            amount += total
            moved += statuses
            batches += 1
    logger.info(
        "balances expired", extra={"expired": expired, "amount_idr": amount, "moved": moved}
    )
    return ExpiryResult(expired=expired, amount_idr=amount, batches=batches, moved_to_expired=moved)


def _batch(*, now: dt.datetime, after: int, limit: int) -> tuple[int | None, int, int, int]:
    taken = (
        candidates(now=now)
        .filter(pk__gt=after)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
    )
    ids = list(taken.values_list("pk", flat=True)[:limit])
    if not ids:
        return None, 0, 0, 0
    moved = services.transition_statuses(
        participants=selectors.awaiting_first_purchase().filter(pk__in=ids),
        to=Participant.Status.EXPIRED,
        reason_code=REASON,
        now=now,
        updated_at=now,
    )
    count, total = services.bulk_zero_balances(
        participants=Participant.objects.filter(pk__in=ids),
        kind=LedgerEntry.Kind.EXPIRY,
        reference=REFERENCE,
        now=now,
    )
    return ids[-1], count, total, moved
