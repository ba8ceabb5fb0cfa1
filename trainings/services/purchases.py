"""Buying a training with the card number and an SMS OTP (docs/program.md section 5).

``start_payment`` checks the card and sends the OTP; ``confirm_payment`` checks the OTP and, in
one transaction, marks the payment paid with a conditional UPDATE, debits the balance with
``participants.services.debit_for_purchase`` (a conditional UPDATE with a unique ledger reference)
and issues the voucher. However often a platform retries, the debit happens once.
"""

import datetime as dt
import logging
import secrets
import uuid
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import cards, sms
from participants import otp as otp_codes
from participants import services as participant_services
from participants.models import LedgerEntry, Participant, ParticipantEvent
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
    if not cards.is_valid_card_number(card_number):
        raise CardNotFound()
    offering = (
        Offering.objects.select_related("training")
        .filter(code=offering_code, platform=platform, is_active=True, training__is_active=True)
        .first()
    )
    if offering is None:
        raise OfferingNotFound()
    participant = Participant.objects.filter(card_number=card_number).first()
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
        "Kode OTP Kartu Prakerja: %(code)s untuk membeli %(title)s seharga Rp%(amount)s di "
        "%(platform)s. Berlaku %(minutes)d menit. JANGAN berikan kode ini kepada siapa pun."
    ) % {
        "code": code,
        "title": offering.training.title[:60],
        "amount": f"{offering.price_idr:,}".replace(",", "."),
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

    The OTP is checked by ``participants.otp.verify``: every attempt is counted durably before
    the code is compared, and the last allowed wrong one locks the payment. The right code marks
    the payment paid with ``UPDATE ... WHERE status='otp_sent'`` and debits in the same
    transaction, so concurrent or repeated confirmations give one debit; the card rules are
    re-checked under the participant's row lock.

    Raises :class:`PaymentNotFound`, :class:`OtpLocked`, :class:`PaymentNotPending`,
    :class:`OtpExpired`, :class:`OtpInvalid` (``context["attempts_left"]``), and the card errors
    of :func:`check_card`.
    """
    now = now or timezone.now()
    payment = selectors.platform_payment(platform=platform, payment_id=payment_id)
    if payment is None:
        raise PaymentNotFound()
    _raise_unless_pending(payment, now=now)
    pending = Payment.objects.filter(status=Payment.Status.OTP_SENT)
    try:
        otp_codes.verify(challenges=pending, pk=payment.pk, code=otp, now=now)
    except OtpInvalid as exc:
        if not exc.context["attempts_left"]:
            pending.filter(pk=payment.pk).update(status=Payment.Status.LOCKED)
        raise
    except OtpExpired:
        payment.refresh_from_db()  # paid, cancelled or locked meanwhile
        _raise_unless_pending(payment, now=now)
        raise

    participant = payment.participant
    with transaction.atomic():
        flipped = pending.filter(pk=payment.pk, otp_expires_at__gte=now).update(
            status=Payment.Status.PAID, paid_at=now
        )
        if not flipped:
            payment.refresh_from_db()
            _raise_unless_pending(payment, now=now)
            raise PaymentNotPending()
        entry = participant_services.debit_for_purchase(
            participant_id=participant.pk,
            amount_idr=payment.amount_idr,
            reference=str(payment.pk),
            now=now,
        )
        # The debit's UPDATE holds the participant's row lock, so this read sees every voucher
        # committed by a concurrent purchase on the same card (READ COMMITTED, new statement).
        counts = Voucher.objects.filter(participant_id=participant.pk).aggregate(
            total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_VOUCHER_STATUSES))
        )
        if counts["open"]:
            raise FirstTrainingNotCompleted()
        training = payment.offering.training
        voucher = _issue_voucher(
            payment=payment,
            participant=participant,
            training=training,
            sequence=counts["total"] + 1,
            now=now,
        )
        participant_services.record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.NOTE,
            reason_code="training_purchased",
            note=f"{training.title} ({payment.platform.name}), voucher {voucher.code}",
            now=now,
        )
    participant.balance_idr = entry.balance_after_idr
    payment.status = Payment.Status.PAID
    payment.paid_at = now
    voucher.payment = payment
    return voucher


def _raise_unless_pending(payment: Payment, *, now: dt.datetime) -> None:
    if payment.status == Payment.Status.LOCKED or (
        payment.status == Payment.Status.OTP_SENT
        and payment.otp_attempts >= settings.OTP_MAX_ATTEMPTS
    ):
        raise OtpLocked()
    if payment.status != Payment.Status.OTP_SENT:
        raise PaymentNotPending()
    if now > payment.otp_expires_at:
        raise OtpExpired()


def _issue_voucher(
    *, payment: Payment, participant: Participant, training, sequence: int, now: dt.datetime
) -> Voucher:
    for _attempt in range(5):
        voucher = Voucher(
            code=new_voucher_code(),
            payment=payment,
            participant=participant,
            training=training,
            provider_id=training.provider_id,
            sequence=sequence,
            issued_at=now,
        )
        try:
            with transaction.atomic():
                voucher.save(force_insert=True)
            return voucher
        except IntegrityError:
            # A code collision (about 1 in 2**59 per issued voucher) draws again; a sequence
            # clash means a concurrent purchase on this card won, which the rule forbids.
            if Voucher.objects.filter(participant=participant, sequence=sequence).exists():
                raise FirstTrainingNotCompleted() from None
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
