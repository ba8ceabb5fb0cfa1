"""The training balance ledger: grant, debit, reversal, forfeit and expiry entries."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from participants import deadlines
from participants.models import (
    DomainError,
    LedgerEntry,
    Participant,
)
from participants.services.errors import (
    BalanceExpired,
    CardFrozen,
    CardNotActive,
    CardRevoked,
    DeadlinePassed,
    InsufficientBalance,
)

# --- the training balance ledger ----------------------------------------------------------------


def _balance_after(participant_id: int) -> int:
    # Read inside the transaction that just updated the row: the row lock makes this our value.
    return Participant.objects.filter(pk=participant_id).values_list("balance_idr", flat=True)[0]


def grant_balance(
    *, participant: Participant, now: dt.datetime | None = None, amount_idr: int | None = None
) -> LedgerEntry:
    """Credit the training balance once (a database constraint refuses a second grant) and set
    its expiry to 15 December of the budget year."""
    now = now or timezone.now()
    amount = settings.TRAINING_BALANCE_IDR if amount_idr is None else amount_idr
    with transaction.atomic():
        Participant.objects.filter(pk=participant.pk).update(
            balance_idr=F("balance_idr") + amount,
            balance_expires_at=deadlines.balance_expiry(now),
        )
        return LedgerEntry.objects.create(
            participant_id=participant.pk,
            kind=LedgerEntry.Kind.GRANT,
            amount_idr=amount,
            balance_after_idr=_balance_after(participant.pk),
            created_at=now,
        )


def debit_for_purchase(
    *, participant_id: int, amount_idr: int, reference: str, now: dt.datetime | None = None
) -> LedgerEntry:
    """Debit ``amount_idr`` for a training purchase, exactly once per ``reference``.

    One conditional UPDATE checks every money rule at the instant of the debit: the card is
    active, the balance covers the price and has not expired, and (for a first purchase) the
    first-purchase deadline has not passed. It also stamps ``first_purchase_at``. Because the
    UPDATE takes the row lock, it serializes against the nightly sweep: whichever commits first
    wins, and the other sees the new row.

    Raises :class:`InsufficientBalance`, :class:`CardRevoked`, :class:`CardFrozen`,
    :class:`CardNotActive`,
    :class:`BalanceExpired` or :class:`DeadlinePassed`; ``IntegrityError`` if ``reference`` was
    already debited.
    """
    if amount_idr <= 0:
        raise ValueError("amount_idr must be positive")
    now = now or timezone.now()
    with transaction.atomic():
        updated = (
            Participant.objects.filter(
                pk=participant_id,
                status=Participant.Status.ACTIVE,
                balance_idr__gte=amount_idr,
                balance_expires_at__gt=now,
            )
            .filter(Q(first_purchase_at__isnull=False) | Q(first_purchase_deadline__gte=now))
            .update(
                balance_idr=F("balance_idr") - amount_idr,
                first_purchase_at=Coalesce(F("first_purchase_at"), now),
            )
        )
        if not updated:
            raise _why_not_debitable(participant_id=participant_id, amount_idr=amount_idr, now=now)
        return LedgerEntry.objects.create(
            participant_id=participant_id,
            kind=LedgerEntry.Kind.PURCHASE,
            amount_idr=-amount_idr,
            balance_after_idr=_balance_after(participant_id),
            reference=reference,
            created_at=now,
        )


def _why_not_debitable(*, participant_id: int, amount_idr: int, now: dt.datetime) -> DomainError:
    participant = Participant.objects.get(pk=participant_id)
    if participant.status == Participant.Status.REVOKED:
        return CardRevoked()
    if participant.status == Participant.Status.FROZEN:
        return CardFrozen()
    if participant.status != Participant.Status.ACTIVE:
        return CardNotActive()
    if participant.balance_expires_at is None or participant.balance_expires_at <= now:
        return BalanceExpired()
    if participant.first_purchase_at is None and participant.first_purchase_deadline < now:
        return DeadlinePassed()
    return InsufficientBalance()


def credit_reversal(
    *, participant_id: int, amount_idr: int, reference: str, now: dt.datetime | None = None
) -> LedgerEntry:
    """Return a cancelled, unredeemed purchase's amount to the balance, once per ``reference``."""
    now = now or timezone.now()
    with transaction.atomic():
        Participant.objects.filter(pk=participant_id).update(
            balance_idr=F("balance_idr") + amount_idr
        )
        return LedgerEntry.objects.create(
            participant_id=participant_id,
            kind=LedgerEntry.Kind.REVERSAL,
            amount_idr=amount_idr,
            balance_after_idr=_balance_after(participant_id),
            reference=reference,
            created_at=now,
        )


def zero_balance(
    *, participant_id: int, kind: str, reference: str = "", now: dt.datetime | None = None
) -> LedgerEntry | None:
    """Take the whole remaining balance away (``forfeit`` or ``expiry``) with one ledger entry.

    Returns ``None`` when the balance is already zero. Used one participant at a time by staff
    actions; the nightly jobs do the same set-based.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant_id)
        if current.balance_idr == 0:
            return None
        amount = current.balance_idr
        Participant.objects.filter(pk=participant_id, balance_idr=amount).update(balance_idr=0)
        return LedgerEntry.objects.create(
            participant_id=participant_id,
            kind=kind,
            amount_idr=-amount,
            balance_after_idr=0,
            reference=reference,
            created_at=now,
        )
