"""Writes and state transitions for participants: status, balance ledger, blacklist.

Every function here is keyword-only, runs in one transaction, and writes its audit row in that
transaction. Functions that move money never read-modify-write: they use a conditional UPDATE.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants import crypto, deadlines
from participants.models import (
    BlacklistEntry,
    DomainError,
    InvalidTransition,
    LedgerEntry,
    Participant,
    ParticipantEvent,
)

LEGAL_BASIS_NO_FIRST_PURCHASE = "Permenko Perekonomian No. 11 Tahun 2020 Pasal 20 ayat (3)"


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    message = _("Saldo pelatihan tidak mencukupi untuk membeli pelatihan ini.")


class CardRevoked(DomainError):
    code = "card_revoked"
    message = _("Kepesertaan Kartu Prakerja ini telah dicabut.")


class CardNotActive(DomainError):
    code = "card_not_active"
    message = _("Kartu Prakerja belum aktif. Tonton ketiga video pengenalan terlebih dahulu.")


class BalanceExpired(DomainError):
    code = "balance_expired"
    message = _("Saldo pelatihan sudah kedaluwarsa.")


class DeadlinePassed(DomainError):
    code = "card_revoked"
    message = _("Batas waktu pembelian pelatihan pertama telah lewat; kepesertaan dicabut.")


class AlreadyBlacklisted(DomainError):
    code = "already_blacklisted"
    message = _("NIK ini sudah ada di daftar hitam.")


# --- audit and status ---------------------------------------------------------------------------


def record_event(
    *,
    participant: Participant,
    kind: str,
    reason_code: str = "",
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> ParticipantEvent:
    """Append one row to the participant's decision history."""
    return ParticipantEvent.objects.create(
        participant=participant,
        kind=kind,
        reason_code=reason_code,
        note=note,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        created_at=now or timezone.now(),
    )


def transition_status(
    *,
    participant: Participant,
    to: str,
    reason_code: str,
    actor=None,
    note: str = "",
    now: dt.datetime | None = None,
    **fields,
) -> Participant:
    """Move ``participant`` to status ``to`` if ``ALLOWED_TRANSITIONS`` permits it.

    The status is changed by a conditional UPDATE on the current status, so two concurrent
    transitions cannot both succeed. Extra ``fields`` are written in the same statement.
    Raises :class:`InvalidTransition`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if to not in Participant.ALLOWED_TRANSITIONS[current.status]:
            raise InvalidTransition(
                from_status=current.status, to_status=to, reason_code=reason_code
            )
        Participant.objects.filter(pk=current.pk, status=current.status).update(status=to, **fields)
        record_event(
            participant=current,
            kind=ParticipantEvent.Kind.STATUS,
            from_status=current.status,
            to_status=to,
            reason_code=reason_code,
            note=note,
            actor=actor,
            now=now,
        )
    participant.refresh_from_db()
    return participant


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

    Raises :class:`InsufficientBalance`, :class:`CardRevoked`, :class:`CardNotActive`,
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


# --- blacklist and revocation -------------------------------------------------------------------


def is_blacklisted(*, nik_hash: str) -> bool:
    return BlacklistEntry.objects.filter(nik_hash=nik_hash, removed_at__isnull=True).exists()


def add_to_blacklist(
    *,
    participant: Participant,
    reason_code: str,
    legal_basis: str = "",
    note: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> BlacklistEntry:
    """Put the participant's NIK on the lifetime blacklist; raises :class:`AlreadyBlacklisted`."""
    now = now or timezone.now()
    with transaction.atomic():
        if is_blacklisted(nik_hash=participant.nik_hash):
            raise AlreadyBlacklisted()
        entry = BlacklistEntry.objects.create(
            nik_hash=participant.nik_hash,
            nik_masked=participant.nik_masked,
            full_name=participant.user.full_name,
            participant=participant,
            reason_code=reason_code,
            legal_basis=legal_basis,
            note=note,
            created_at=now,
            created_by=actor,
        )
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.BLACKLIST,
            reason_code=reason_code,
            note=note,
            actor=actor,
            now=now,
        )
    return entry


def remove_from_blacklist(
    *, entry: BlacklistEntry, reason: str, actor, now: dt.datetime | None = None
) -> BlacklistEntry:
    """Lift a blacklist entry; the row stays, with who lifted it, when and why."""
    if not reason.strip():
        raise DomainError(_("Alasan penghapusan wajib diisi."), code="reason_required")
    now = now or timezone.now()
    with transaction.atomic():
        updated = BlacklistEntry.objects.filter(pk=entry.pk, removed_at__isnull=True).update(
            removed_at=now, removed_by=actor, removal_reason=reason
        )
        if not updated:
            raise DomainError(_("Entri ini sudah dihapus."), code="already_removed")
        if entry.participant_id:
            record_event(
                participant=entry.participant,
                kind=ParticipantEvent.Kind.BLACKLIST,
                reason_code="removed",
                note=reason,
                actor=actor,
                now=now,
            )
    entry.refresh_from_db()
    return entry


def revoke_participation(
    *,
    participant: Participant,
    reason_code: str,
    actor=None,
    note: str = "",
    legal_basis: str = "",
    now: dt.datetime | None = None,
) -> Participant:
    """Revoke one participant (staff action for fraud, or a single no-purchase case): status
    ``revoked``, NIK blacklisted, balance forfeited, all in one transaction.

    The nightly sweep does the same for many participants set-based (trainings.sweep).
    Raises :class:`InvalidTransition` if the participant cannot be revoked.
    """
    now = now or timezone.now()
    with transaction.atomic():
        transition_status(
            participant=participant,
            to=Participant.Status.REVOKED,
            reason_code=reason_code,
            actor=actor,
            note=note,
            now=now,
            revoked_at=now,
            revoke_reason=reason_code,
        )
        if not is_blacklisted(nik_hash=participant.nik_hash):
            add_to_blacklist(
                participant=participant,
                reason_code=reason_code,
                legal_basis=legal_basis,
                note=note,
                actor=actor,
                now=now,
            )
        zero_balance(
            participant_id=participant.pk,
            kind=LedgerEntry.Kind.FORFEIT,
            reference=f"revoke:{reason_code}",
            now=now,
        )
    return participant


def set_identity_numbers(*, participant: Participant, nik: str, kk: str) -> None:
    """Fill the protected NIK/KK fields on an unsaved or to-be-saved participant."""
    participant.nik_hash = crypto.keyed_hash(nik)
    participant.nik_encrypted = crypto.encrypt(nik)
    participant.nik_masked = crypto.mask_nik(nik)
    participant.kk_hash = crypto.keyed_hash(kk)
    participant.kk_encrypted = crypto.encrypt(kk)
