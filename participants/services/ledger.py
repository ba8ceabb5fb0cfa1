"""The training balance ledger: grant, debit, reversal, forfeit and expiry entries."""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from participants import selectors
from participants.cards import deadlines
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
from participants.services.status import locked_sql
from prakerja import db

# --- the training balance ledger ----------------------------------------------------------------


def _balance_after(participant_id: int) -> int:
    # Read inside the transaction that just updated the row: the row lock makes this our value.
    return Participant.objects.filter(pk=participant_id).values_list("balance_idr", flat=True)[0]


def grant_balance(
    *, participant: Participant, now: dt.datetime | None = None, amount_idr: int | None = None
) -> LedgerEntry:
    """Credit the training balance once (a database constraint refuses a second grant) and set
    its expiry to 15 December of the program year of the person's wave (of the grant's year
    without a wave): :func:`bulk_grant_balance` for one person."""
    now = now or timezone.now()
    wave = participant.wave if participant.wave_id else None
    with transaction.atomic():
        bulk_grant_balance(
            participants=Participant.objects.filter(pk=participant.pk),
            granted_at=now,
            expires_at=deadlines.wave_balance_expiry(wave) if wave else None,
            amount_idr=amount_idr,
        )
        return LedgerEntry.objects.get(participant_id=participant.pk, kind=LedgerEntry.Kind.GRANT)


def bulk_grant_balance(
    *,
    participants: QuerySet,
    granted_at: dt.datetime,
    expires_at: dt.datetime | None = None,
    amount_idr: int | None = None,
    reference: str = "",
) -> int:
    """Credit ``amount_idr`` (``TRAINING_BALANCE_IDR``) to every participant of
    ``participants``, set their balance expiry to ``expires_at`` (the wave's: 15 December of its
    program year; by default 15 December of the year of ``granted_at``), and
    write one GRANT ledger entry each with the balance after it: two statements whatever the
    number. A second grant to anyone raises ``IntegrityError`` (one grant each, a database
    constraint) and nothing is written. Returns how many were credited."""
    amount = settings.TRAINING_BALANCE_IDR if amount_idr is None else amount_idr
    adapt = connection.ops.adapt_datetimefield_value
    # No savepoint of its own: a failure rolls back the caller's transaction (batch jobs).
    with transaction.atomic(savepoint=False):
        credited = participants.update(
            balance_idr=F("balance_idr") + amount,
            balance_expires_at=expires_at or deadlines.balance_expiry(granted_at),
        )
        source, params = locked_sql(participants, "id", "balance_idr")
        _insert_entries(
            source=source,
            params=params,
            columns="src.id, %s, %s, src.balance_idr, %s, %s",
            values=(LedgerEntry.Kind.GRANT, amount, reference, adapt(granted_at)),
        )
    return credited


def _insert_entries(*, source: str, params, columns: str, values: tuple) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {LedgerEntry._meta.db_table}
                (participant_id, kind, amount_idr, balance_after_idr, reference, created_at)
            SELECT {columns} FROM ({source}) src
            """,  # noqa: S608 (table name, fixed columns and a compiled queryset)
            (*values, *params),
        )
        return cursor.rowcount


def debit_for_purchase(
    *, participant_id: int, amount_idr: int, reference: str, now: dt.datetime | None = None
) -> LedgerEntry:
    """Debit ``amount_idr`` for a training purchase, exactly once per ``reference``.

    One conditional UPDATE checks every money rule at the instant of the debit: the card is
    active, the balance covers the price and has not expired, and (for a first purchase) the
    first-purchase deadline has not passed. It also stamps ``first_purchase_at`` and returns the
    balance after the debit for the ledger entry, written next (two statements in all). Because
    the UPDATE takes the row lock, it serializes against the nightly sweep: whichever commits
    first wins, and the other sees the new row. A refused debit names the reason
    :func:`purchase_refusal` gives.

    No savepoint of its own, and no domain error raised inside its transaction: a refusal writes
    nothing, so a caller's transaction stays usable (the partner API stores the refusal as its
    answer). A duplicate ``reference`` raises ``IntegrityError``, which rolls back the caller's
    transaction.

    Raises :class:`InsufficientBalance`, :class:`CardRevoked`, :class:`CardFrozen`,
    :class:`CardNotActive`,
    :class:`BalanceExpired` or :class:`DeadlinePassed`; ``IntegrityError`` if ``reference`` was
    already debited.
    """
    if amount_idr <= 0:
        raise ValueError("amount_idr must be positive")
    now = now or timezone.now()
    entry = None
    with transaction.atomic(savepoint=False):
        balance_after = _debit(participant_id=participant_id, amount_idr=amount_idr, now=now)
        if balance_after is not None:
            entry = LedgerEntry(
                participant_id=participant_id,
                kind=LedgerEntry.Kind.PURCHASE,
                amount_idr=-amount_idr,
                balance_after_idr=balance_after,
                reference=reference,
                created_at=now,
            )
            db.insert(entry)
    if entry is None:
        participant = Participant.objects.get(pk=participant_id)
        raise (
            purchase_refusal(participant=participant, amount_idr=amount_idr, now=now)
            or InsufficientBalance()
        )
    return entry


def _debit(*, participant_id: int, amount_idr: int, now: dt.datetime) -> int | None:
    """The conditional UPDATE of :func:`debit_for_purchase`; the balance after it, or ``None``
    when a rule refuses (nothing written). ``UPDATE ... RETURNING`` saves reading the balance
    back, and the statement is not compiled by the ORM on every purchase. The deadline guard is
    NULL-safe, as ``selectors.past_first_purchase_deadline`` counts it (its balance condition is
    implied by ``balance_expires_at > now``)."""
    table = connection.ops.quote_name(Participant._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table}
            SET balance_idr = balance_idr - %s,
                first_purchase_at = COALESCE(first_purchase_at, %s)
            WHERE id = %s AND status = %s AND balance_idr >= %s AND balance_expires_at > %s
                AND (first_purchase_at IS NOT NULL OR first_purchase_deadline IS NULL
                     OR first_purchase_deadline >= %s)
            RETURNING balance_idr
            """,  # noqa: S608 (the table name; values are parameters)
            [amount_idr, when, participant_id, Participant.Status.ACTIVE, amount_idr, when, when],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def purchase_refusal(
    *, participant: Participant, amount_idr: int, now: dt.datetime
) -> DomainError | None:
    """The first card rule of docs/program.md section 5 that ``participant`` fails for a training
    of ``amount_idr`` at ``now``, or ``None``: the card is active and oriented, the first-purchase
    deadline has not passed (as the sweep counts it), the balance has not expired and covers
    the price. The partner's early answer (``trainings`` ``check_card``) and a refused
    :func:`debit_for_purchase` both name this reason."""
    if participant.status == Participant.Status.REVOKED:
        return CardRevoked()
    if participant.status == Participant.Status.FROZEN:
        return CardFrozen()
    if participant.status == Participant.Status.EXPIRED:
        return BalanceExpired()
    if participant.status != Participant.Status.ACTIVE or participant.oriented_at is None:
        return CardNotActive()
    if selectors.is_past_first_purchase_deadline(participant, as_of=now):
        return DeadlinePassed()
    if participant.balance_expires_at is None or participant.balance_expires_at <= now:
        return BalanceExpired()
    if participant.balance_idr < amount_idr:
        return InsufficientBalance()
    return None


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
    """Take the whole remaining balance away (``forfeit`` or ``expiry``) with one ledger entry:
    :func:`bulk_zero_balances` for one person. Returns the entry, or ``None`` when the balance
    is already zero."""
    now = now or timezone.now()
    with transaction.atomic():
        count, _amount = bulk_zero_balances(
            participants=Participant.objects.filter(pk=participant_id),
            kind=kind,
            reference=reference,
            now=now,
        )
        if not count:
            return None
        return LedgerEntry.objects.filter(participant_id=participant_id, kind=kind).latest("id")


def bulk_zero_balances(
    *, participants: QuerySet, kind: str, reference: str = "", now: dt.datetime | None = None
) -> tuple[int, int]:
    """Take every positive balance of ``participants`` to zero with one ``kind`` (``forfeit``
    or ``expiry``) ledger entry each, from the locked rows: two statements whatever the number.
    Returns ``(participants, rupiah)`` taken. A participant already holding an entry of that kind
    raises ``IntegrityError`` (one each, a database constraint) and nothing is written."""
    if kind not in (LedgerEntry.Kind.FORFEIT, LedgerEntry.Kind.EXPIRY):
        raise ValueError(f"a balance is zeroed by a forfeit or an expiry, not {kind!r}")
    now = now or timezone.now()
    positive = participants.filter(balance_idr__gt=0)
    # No savepoint of its own: a failure rolls back the caller's transaction (batch jobs).
    with transaction.atomic(savepoint=False):
        source, params = locked_sql(positive, "id", "balance_idr")
        count = _insert_entries(
            source=source,
            params=params,
            columns="src.id, %s, -src.balance_idr, 0, %s, %s",
            values=(kind, reference, connection.ops.adapt_datetimefield_value(now)),
        )
        # The rows are locked by now: the sum is what the UPDATE zeroes.
        amount = positive.aggregate(total=Sum("balance_idr"))["total"] or 0
        zeroed = positive.update(balance_idr=0, updated_at=now)
        if zeroed != count:
            raise RuntimeError(f"zeroed {zeroed} balances but wrote {count} entries; rolled back")
    return count, amount
