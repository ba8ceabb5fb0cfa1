"""Buying a training with the card number and an SMS OTP (docs/program.md section 5).

``start_payment`` checks the card and sends the OTP; ``confirm_payment`` checks the OTP and, in
one transaction under the payment's and the participant's row locks, debits the balance with
``participants.services.debit_for_purchase`` (a conditional UPDATE with a unique ledger reference),
marks the payment paid and issues the voucher. However often a platform retries, the debit
happens once.
"""

import datetime as dt
import logging
import secrets
import uuid
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import otp as otp_codes
from participants import services as participant_services
from participants.cards import numbers as card_numbers
from participants.models import DomainError, LedgerEntry, Participant, ParticipantEvent
from prakerja import db, sms
from prakerja.money import rupiah
from trainings import selectors
from trainings.models import Offering, Payment, Platform, Voucher
from trainings.services.errors import (
    CardNotFound,
    DuplicatePartnerOrder,
    FirstTrainingNotCompleted,
    OfferingNotFound,
    OtpExpired,
    OtpInvalid,
    OtpLocked,
    PaymentNotFound,
    PaymentNotPending,
    VoucherAlreadyRedeemed,
)

logger = logging.getLogger(__name__)

# Letters and digits without look-alikes: no 0/O, 1/I/L (docs/partner-api.md). 31 symbols.
VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
VOUCHER_LENGTH = 12  # 31**12 ~ 2**59 codes
OPEN_VOUCHER_STATUSES = [Voucher.Status.ISSUED, Voucher.Status.REDEEMED]


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


# The fields of a participant that check_card reads (participants.services.purchase_refusal).
CARD_CHECK_FIELDS = (
    "status",
    "oriented_at",
    "first_purchase_at",
    "first_purchase_deadline",
    "balance_expires_at",
    "balance_idr",
)


def check_card(*, participant: Participant, amount_idr: int, now: dt.datetime) -> None:
    """Raise the first purchase rule ``participant`` fails for a training of ``amount_idr``.

    Order follows docs/program.md section 5: the card rules of
    ``participants.services.purchase_refusal`` (active and oriented, deadline, balance not
    expired, balance enough), then earlier trainings completed. ``confirm_payment`` re-checks the
    money rules atomically at debit time; this is the early answer for ``start_payment``.
    """
    refusal = participant_services.purchase_refusal(
        participant=participant, amount_idr=amount_idr, now=now
    )
    if refusal is not None:
        raise refusal
    if Voucher.objects.filter(participant=participant, status__in=OPEN_VOUCHER_STATUSES).exists():
        raise FirstTrainingNotCompleted()


def start_payment(
    *,
    platform: Platform,
    card_number: str,
    offering_code: str,
    partner_order_id: str,
    now: dt.datetime | None = None,
) -> Payment:
    """Start paying for ``offering_code`` with ``card_number``: check the card and send a 6-digit
    OTP by SMS to the participant's registered phone (after commit).

    Raises :class:`CardNotFound` (unknown number or bad check digit), :class:`OfferingNotFound`
    (not sold on this platform), :class:`CardRevoked`, :class:`CardFrozen`, :class:`CardNotActive`,
    :class:`BalanceExpired`, :class:`InsufficientBalance`, :class:`FirstTrainingNotCompleted`,
    :class:`DuplicatePartnerOrder`, :class:`OtpRateLimited` (the per-person rate of new OTPs
    of ``participants.otp``: each start sends an SMS, so this bounds SMS flooding of a participant
    by a platform or by someone who knows the card number).
    """
    now = now or timezone.now()
    card_number = "".join((card_number or "").split()).replace("-", "")
    if not card_numbers.is_valid_card_number(card_number):
        raise CardNotFound()
    offering = (
        Offering.objects.select_related("training")
        .filter(code=offering_code, platform=platform, is_active=True, training__is_active=True)
        .first()
    )
    if offering is None:
        raise OfferingNotFound()
    # What check_card and the SMS need, not the person's 40 columns.
    holders = Participant.objects.filter(card_number=card_number)
    participant = holders.only(*CARD_CHECK_FIELDS, "phone").first()
    if participant is None:
        raise CardNotFound()
    check_card(participant=participant, amount_idr=offering.price_idr, now=now)
    payment = Payment(
        id=uuid.uuid4(),
        platform=platform,
        participant=participant,
        offering=offering,
        partner_order_id=partner_order_id,
        amount_idr=offering.price_idr,
        status=Payment.Status.OTP_SENT,
    )
    try:
        with transaction.atomic():
            code = otp_codes.issue(payment, now=now)
    except IntegrityError:
        raise DuplicatePartnerOrder() from None
    text = _(
        "Kode OTP Kartu Prakerja: %(code)s untuk membeli %(title)s seharga %(amount)s di "
        "%(platform)s. Berlaku %(minutes)d menit. JANGAN berikan kode ini kepada siapa pun."
    ) % {
        "code": code,
        "title": offering.training.title[:60],
        "amount": rupiah(offering.price_idr),
        "platform": platform.name,
        "minutes": settings.OTP_TTL_SECONDS // 60,
    }
    # After commit: a rolled-back payment (e.g. a concurrent duplicate request) sends nothing.
    transaction.on_commit(partial(_send_otp, to=participant.phone, text=text), robust=True)
    return payment


def _send_otp(*, to: str, text: str) -> None:
    sms.send_sms(to=to, text=text)


def confirm_payment(
    *, platform: Platform, payment_id: str | uuid.UUID, otp: str, now: dt.datetime | None = None
) -> Voucher:
    """Confirm a payment with its OTP: debit the balance exactly once and issue the voucher.

    One transaction (the caller's, when it has one: the partner API stores its answer in it).
    ``participants.otp.verify`` locks the payment and its participant and counts a wrong attempt
    before the code is compared; the last allowed wrong one locks the payment. With the right
    code, under those locks: the "finish your training first" rule, the debit (a conditional
    UPDATE that re-checks the card's money rules, ``participants.services.debit_for_purchase``),
    the payment marked paid, the voucher and the audit row. However often or concurrently a
    platform confirms, the debit happens once.

    No savepoint: every refusal is decided before the first write of the purchase, and no domain
    error is raised inside the transaction, so a wrong attempt's count is committed with it and a
    caller's transaction stays usable.

    Raises :class:`PaymentNotFound`, :class:`OtpLocked`, :class:`PaymentNotPending`,
    :class:`OtpExpired`, :class:`OtpInvalid` (``context["attempts_left"]``), and the card errors
    of :func:`check_card`.
    """
    now = now or timezone.now()
    pk = selectors.payment_pk(payment_id)
    if pk is None:
        raise PaymentNotFound()
    with transaction.atomic(savepoint=False):
        outcome = _confirm(platform=platform, pk=pk, otp=otp, now=now)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def _confirm(
    *, platform: Platform, pk: uuid.UUID, otp: str, now: dt.datetime
) -> Voucher | DomainError:
    """The work of :func:`confirm_payment` inside its transaction: a refusal is returned (after
    writing only a counted OTP attempt), never raised."""
    payment = selectors.lock_pending_payment(platform=platform, pk=pk)
    try:
        otp_codes.verify_locked(payment, code=otp, now=now)
    except OtpInvalid as exc:
        if not exc.context["attempts_left"]:
            Payment.objects.filter(pk=pk).update(status=Payment.Status.LOCKED)
        return exc
    except OtpExpired as exc:
        if payment is not None:
            return exc
        # Not an open payment of this platform: unknown, paid, cancelled or locked.
        payment = selectors.platform_payment(platform=platform, payment_id=pk)
        if payment is None:
            return PaymentNotFound()
        return _not_pending(payment, now=now) or exc
    except OtpLocked as exc:
        return exc

    # Under the participant's row lock (taken with the payment's), this statement sees every
    # voucher committed by a concurrent purchase on the same card.
    total, still_open = _voucher_counts(participant_id=payment.participant_id)
    if still_open:
        return FirstTrainingNotCompleted()
    try:
        entry = participant_services.debit_for_purchase(
            participant_id=payment.participant_id,
            amount_idr=payment.amount_idr,
            reference=str(payment.pk),
            now=now,
        )
    except DomainError as exc:  # a card rule refused the debit; nothing was written
        return exc
    _mark_paid(payment, now=now)
    training = payment.offering.training
    voucher = _issue_voucher(payment=payment, training=training, sequence=total + 1, now=now)
    participant_services.record_event(
        participant=payment.participant,
        kind=ParticipantEvent.Kind.NOTE,
        reason_code="training_purchased",
        note=f"{training.title} ({platform.name}), voucher {voucher.code}",
        now=now,
    )
    payment.participant.balance_idr = entry.balance_after_idr
    return voucher


def _voucher_counts(*, participant_id: int) -> tuple[int, int]:
    """The participant's vouchers: all of them, and those still open (issued or redeemed)."""
    statuses = ", ".join(["%s"] * len(OPEN_VOUCHER_STATUSES))
    sql = (
        f"SELECT COUNT(*), COUNT(CASE WHEN status IN ({statuses}) THEN 1 END) "  # noqa: S608
        f"FROM {Voucher._meta.db_table} WHERE participant_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*OPEN_VOUCHER_STATUSES, participant_id])
        total, still_open = cursor.fetchone()
    return total, still_open


def _mark_paid(payment: Payment, *, now: dt.datetime) -> None:
    """Mark the locked, open ``payment`` paid (conditionally, in case it were not)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Payment._meta.db_table} SET status = %s, paid_at = %s "  # noqa: S608
            "WHERE id = %s AND status = %s",
            [
                Payment.Status.PAID,
                connection.ops.adapt_datetimefield_value(now),
                Payment._meta.pk.get_db_prep_value(payment.pk, connection),
                Payment.Status.OTP_SENT,
            ],
        )
        if cursor.rowcount != 1:
            # Cannot happen: the payment is locked and open since it was read. Roll back all.
            raise RuntimeError(f"payment {payment.pk} changed under its row lock")
    payment.status = Payment.Status.PAID
    payment.paid_at = now


def _not_pending(payment: Payment, *, now: dt.datetime) -> DomainError | None:
    """Why ``payment`` cannot be confirmed now, or ``None`` if it still can."""
    if payment.status == Payment.Status.LOCKED or (
        payment.status == Payment.Status.OTP_SENT
        and payment.otp_attempts >= settings.OTP_MAX_ATTEMPTS
    ):
        return OtpLocked()
    if payment.status != Payment.Status.OTP_SENT:
        return PaymentNotPending()
    if now > payment.otp_expires_at:
        return OtpExpired()
    return None


def _issue_voucher(*, payment: Payment, training, sequence: int, now: dt.datetime) -> Voucher:
    for _attempt in range(5):
        voucher = Voucher(
            code=new_voucher_code(),
            payment=payment,
            participant=payment.participant,
            training=training,
            provider_id=training.provider_id,
            sequence=sequence,
            issued_at=now,
        )
        # A code collision (about 1 in 2**59 per issued voucher) draws again, without an error
        # that would need a savepoint. The sequence cannot clash: every voucher of a card is
        # issued under its participant's row lock.
        if db.insert(voucher, skip_if_taken="code"):
            return voucher
    raise RuntimeError("could not draw a unique voucher code")


def cancel_payment(
    *, platform: Platform, payment_id: str | uuid.UUID, now: dt.datetime | None = None
) -> Payment:
    """Cancel a payment at the platform's request.

    A payment still waiting for its OTP is simply cancelled. A paid one is cancelled only while
    its voucher is unredeemed: the voucher is cancelled and the amount credited back with a
    ``reversal`` ledger entry (docs/program.md section 3), all in one transaction.

    Raises :class:`PaymentNotFound`, :class:`PaymentNotPending` (already cancelled or locked),
    :class:`VoucherAlreadyRedeemed`.
    """
    now = now or timezone.now()
    payment = selectors.platform_payment(platform=platform, payment_id=payment_id)
    if payment is None:
        raise PaymentNotFound()
    with transaction.atomic():
        if Payment.objects.filter(pk=payment.pk, status=Payment.Status.OTP_SENT).update(
            status=Payment.Status.CANCELLED
        ):
            payment.status = Payment.Status.CANCELLED
            return payment
        if not Payment.objects.filter(pk=payment.pk, status=Payment.Status.PAID).update(
            status=Payment.Status.CANCELLED
        ):
            raise PaymentNotPending()
        if not Voucher.objects.filter(payment=payment, status=Voucher.Status.ISSUED).update(
            status=Voucher.Status.CANCELLED
        ):
            raise VoucherAlreadyRedeemed()
        participant_services.credit_reversal(
            participant_id=payment.participant_id,
            amount_idr=payment.amount_idr,
            reference=str(payment.pk),
            now=now,
        )
        # A cancelled first purchase does not count as the first purchase: the 30-day rule
        # applies again unless another purchase still stands.
        if (
            not Voucher.objects.filter(participant_id=payment.participant_id)
            .exclude(status=Voucher.Status.CANCELLED)
            .exists()
        ):
            Participant.objects.filter(pk=payment.participant_id).update(first_purchase_at=None)
        participant_services.record_event(
            participant=payment.participant,
            kind=ParticipantEvent.Kind.NOTE,
            reason_code="purchase_cancelled",
            note=f"{payment.offering.training.title} ({platform.name})",
            now=now,
        )
    payment.status = Payment.Status.CANCELLED
    return payment


def ledger_sum(*, participant_id: int) -> int:
    """The sum of a participant's ledger entries (equal to ``balance_idr`` at all times)."""
    total = LedgerEntry.objects.filter(participant_id=participant_id).aggregate(s=Sum("amount_idr"))
    return total["s"] or 0
