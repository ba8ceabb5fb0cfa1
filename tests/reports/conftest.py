from django.contrib.auth.models import Permission
from django.utils import timezone

from participants.models import Application, Participant
from tests.factories import OfferingFactory, ParticipantFactory, UserFactory
from trainings.models import Payment, Voucher


def staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def apply(wave, *, status=Application.Status.JOINED, reason="", **participant_fields):
    """A participant with an application in ``wave``; a selected one also carries the wave."""
    if status == Application.Status.SELECTED:
        participant_fields.setdefault("wave", wave)
        participant_fields.setdefault("status", Participant.Status.SELECTED)
        participant_fields.setdefault("selected_at", wave.announces_at)
    participant = ParticipantFactory(**participant_fields)
    Application.objects.create(
        participant=participant,
        wave=wave,
        status=status,
        reason_code=reason,
        joined_at=wave.opens_at,
        decided_at=None if status == Application.Status.JOINED else wave.announces_at,
    )
    return participant


def purchase(participant, offering=None, *, completed=False, reviewed=False, sequence=1):
    offering = offering or OfferingFactory()
    now = timezone.now()
    payment = Payment.objects.create(
        platform=offering.platform,
        participant=participant,
        offering=offering,
        partner_order_id=f"order-{participant.pk}-{sequence}",
        amount_idr=offering.price_idr,
        status=Payment.Status.PAID,
        otp_hash="x",
        otp_expires_at=now,
        created_at=now,
        paid_at=now,
    )
    return Voucher.objects.create(
        code=f"V{participant.pk:09d}{sequence}",
        payment=payment,
        participant=participant,
        training=offering.training,
        provider=offering.training.provider,
        sequence=sequence,
        issued_at=now,
        completed_at=now if completed else None,
        reviewed_at=now if reviewed else None,
        rating=5 if reviewed else None,
    )


def installment(participant, *, number=1, status="scheduled", reason="", amount_idr=600_000):
    from incentives.models import Installment

    now = timezone.now()
    return Installment.objects.create(
        participant=participant,
        kind=Installment.Kind.MONTHLY,
        number=number,
        amount_idr=amount_idr,
        due_at=now,
        status=status,
        reason_code=reason,
        next_attempt_at=now,
        paid_at=now if status == "paid" else None,
        failed_at=now if status == "failed" else None,
        created_at=now,
    )
