"""Building blocks for incentive tests: a participant who completed and reviewed the first
training (as the trainings services leave it), and a payout account."""

import datetime as dt
import uuid

from django.utils import timezone

from incentives.models import PayoutAccount
from participants.models import Participant
from tests.factories import OfferingFactory, make_active_participant
from trainings.models import Payment, Voucher


def complete_first_training(
    participant: Participant, *, now: dt.datetime, reviewed: bool = True, sequence: int = 1
) -> Voucher:
    offering = OfferingFactory()
    payment = Payment.objects.create(
        platform=offering.platform,
        participant=participant,
        offering=offering,
        partner_order_id=str(uuid.uuid4()),
        amount_idr=offering.price_idr,
        status=Payment.Status.PAID,
        otp_hash="-",
        otp_expires_at=now,
        created_at=now,
        paid_at=now,
    )
    return Voucher.objects.create(
        code=uuid.uuid4().hex[:12].upper(),
        payment=payment,
        participant=participant,
        training=offering.training,
        provider=offering.training.provider,
        status=Voucher.Status.COMPLETED,
        sequence=sequence,
        issued_at=now,
        redeemed_at=now,
        completed_at=now,
        certificate_number=f"CERT-{uuid.uuid4().hex[:8]}",
        rating=5 if reviewed else None,
        review="Pelatihannya bermanfaat." if reviewed else "",
        reviewed_at=now if reviewed else None,
    )


def give_account(
    participant: Participant,
    *,
    number: str = "1234567890",
    kind: str = PayoutAccount.Kind.BNI,
    validated: bool = False,
    now: dt.datetime | None = None,
) -> PayoutAccount:
    now = now or timezone.now()
    return PayoutAccount.objects.create(
        participant=participant,
        kind=kind,
        number=number,
        holder_name=participant.user.full_name,
        validated_at=now if validated else None,
        created_at=now,
        updated_at=now,
    )


def eligible_participant(
    *, now: dt.datetime, number: str | None = "1234567890", validated: bool = False, wave=None
) -> Participant:
    participant = make_active_participant(now=now, wave=wave)
    complete_first_training(participant, now=now)
    if number is not None:
        give_account(participant, number=number, validated=validated, now=now)
    return participant
