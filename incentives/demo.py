"""Demo data for incentives: the evaluation surveys, and two participants who completed and
reviewed their first training, one with a paid first installment and one whose payout failed
because the bank account was closed ("Perbarui rekening"). Idempotent."""

import datetime as dt
import uuid

from django.db import transaction

from incentives import services
from incentives.models import PayoutAccount
from participants import services as participant_services
from participants.cards import deadlines
from participants.cards import numbers as card_numbers
from participants.models import Application, Participant, User, Wave
from trainings.models import Offering, Payment, Voucher

DEMO_PASSWORD = "prakerja123"  # noqa: S105 (published demo password, as participants.demo)

# email, name, state, phone, birth date, NIK serial, payout account number
DEMO_PEOPLE = [
    (
        "insentif@prakerja.local",
        "Rina Wulandari",
        "incentive_paid",
        "+6281200000011",
        dt.date(1993, 4, 9),
        11,
        "1234567890",
    ),
    (
        "insentif-gagal@prakerja.local",
        "Joko Prasetyo",
        "incentive_failed",
        "+6281200000012",
        dt.date(1991, 8, 23),
        12,
        "1234567801",
    ),
]


def _nik(birth: dt.date, gender: str, serial: int) -> str:
    day = birth.day + (40 if gender == "F" else 0)
    return f"320101{day:02d}{birth:%m%y}{serial:04d}"


@transaction.atomic
def _person(*, email, name, phone, birth, serial, number, wave, offering, now) -> Participant:
    user = User.objects.create_user(
        email=email, password=DEMO_PASSWORD, full_name=name, email_verified_at=now
    )
    participant = Participant(
        user=user,
        birth_date=birth,
        gender="M",
        address="Jl. Raya Cibinong No. 2",
        education=Participant.Education.SMA,
        employment_status=Participant.Employment.UNEMPLOYED,
        identity_verified_at=now,
        phone=phone,
        phone_verified_at=now,
        is_student=False,
        is_civil_servant=False,
        receives_social_aid=False,
        is_unemployed=True,
        declared_at=now,
        test_passed_at=now,
    )
    participant_services.set_identity_numbers(
        participant=participant, nik=_nik(birth, "M", serial), kk=f"3201{serial:012d}"
    )
    participant.save()
    # Selected in the announced demo wave and oriented, through the same services as the
    # program (status history, card, balance with its ledger entry).
    Application.objects.create(
        participant=participant,
        wave=wave,
        joined_at=wave.opens_at,
        decided_at=wave.announces_at,
        status=Application.Status.SELECTED,
    )
    participant_services.transition_status(
        participant=participant,
        to=Participant.Status.SELECTED,
        reason_code="selected",
        now=wave.announces_at,
        wave=wave,
        selected_at=wave.announces_at,
        card_number=card_numbers.new_card_number(),
        first_purchase_deadline=deadlines.first_purchase_deadline(wave.announces_at),
    )
    participant_services.grant_balance(participant=participant, now=wave.announces_at)
    participant_services.transition_status(
        participant=participant,
        to=Participant.Status.ACTIVE,
        reason_code="oriented",
        now=now,
        oriented_at=now,
    )
    payment = Payment.objects.create(
        platform=offering.platform,
        participant=participant,
        offering=offering,
        partner_order_id=f"demo-{uuid.uuid4().hex[:12]}",
        amount_idr=offering.price_idr,
        status=Payment.Status.PAID,
        otp_hash="-",
        otp_expires_at=now,
        created_at=now,
        paid_at=now,
    )
    participant_services.debit_for_purchase(
        participant_id=participant.pk,
        amount_idr=offering.price_idr,
        reference=str(payment.pk),
        now=now,
    )
    Voucher.objects.create(
        code=f"DEMO{serial:08d}",
        payment=payment,
        participant=participant,
        training=offering.training,
        provider=offering.training.provider,
        status=Voucher.Status.COMPLETED,
        sequence=1,
        issued_at=now,
        redeemed_at=now,
        completed_at=now,
        certificate_number=f"SERT-DEMO-{serial:04d}",
        rating=5,
        review="Materinya jelas dan langsung bisa dipraktikkan.",
        reviewed_at=now,
    )
    PayoutAccount.objects.create(
        participant=participant,
        kind=PayoutAccount.Kind.BNI,
        number=number,
        holder_name=name,
        # The failing demo account was valid once and closed later.
        validated_at=now if number.endswith("01") else None,
        created_at=now,
        updated_at=now,
    )
    return participant


def seed(*, now: dt.datetime) -> list[str]:
    services.ensure_default_surveys()
    # The demo's announced wave of the current program year (participants.demo).
    wave = (
        Wave.objects.filter(announces_at__lte=now, opens_at__lte=now)
        .order_by("-announces_at")
        .first()
    )
    offering = Offering.objects.filter(is_active=True).select_related("training").first()
    if wave is None or offering is None:
        return []
    lines = []
    created = []
    for email, name, state, phone, birth, serial, number in DEMO_PEOPLE:
        participant = Participant.objects.filter(user__email=email).first()
        if participant is None:
            participant = _person(
                email=email,
                name=name,
                phone=phone,
                birth=birth,
                serial=serial,
                number=number,
                wave=wave,
                offering=offering,
                now=now,
            )
            created.append(participant)
        lines.append(
            f"DEMO email={email} password={DEMO_PASSWORD} state={state} "
            f"card={participant.card_number or '-'} phone={participant.phone}"
        )
    if created:
        services.plan_installments(now=now)
        for participant in created:
            services.run_disbursement(now=now, participant_id=participant.pk)
    return lines
