"""Demo data for participants: reference areas, waves, a staff account and demo participants in
each lifecycle state. Idempotent: running it again finds what exists."""

import datetime as dt

from django.db import transaction

from participants import cards, deadlines, services
from participants.models import District, Participant, Province, Regency, User, Wave

DEMO_PASSWORD = "prakerja123"  # noqa: S105 (published demo password)
STAFF_EMAIL = "staf@prakerja.local"

# A slice of the Kemendagri reference data, enough for the demo when the full set is not loaded.
DEMO_AREAS = [
    ("32", "JAWA BARAT", "3201", "KABUPATEN BOGOR", "320101", "CIBINONG"),
    ("31", "DKI JAKARTA", "3171", "KOTA ADM. JAKARTA SELATAN", "317101", "JAGAKARSA"),
    ("35", "JAWA TIMUR", "3578", "KOTA SURABAYA", "357801", "KARANG PILANG"),
]

DEMO_PEOPLE = [
    # email, name, state, phone, birth date, gender, NIK serial
    (
        "aktif@prakerja.local",
        "Siti Aminah",
        "active",
        "+6281200000001",
        dt.date(1994, 3, 12),
        "F",
        1,
    ),
    (
        "lolos@prakerja.local",
        "Budi Santoso",
        "selected",
        "+6281200000002",
        dt.date(1990, 7, 1),
        "M",
        2,
    ),
    (
        "pendaftar@prakerja.local",
        "Dewi Lestari",
        "applicant",
        "+6281200000003",
        dt.date(1998, 1, 20),
        "F",
        3,
    ),
    (
        "dicabut@prakerja.local",
        "Agus Salim",
        "revoked",
        "+6281200000004",
        dt.date(1988, 11, 5),
        "M",
        4,
    ),
]


def _areas() -> None:
    for p_code, p_name, r_code, r_name, d_code, d_name in DEMO_AREAS:
        province, _ = Province.objects.get_or_create(code=p_code, defaults={"name": p_name})
        regency, _ = Regency.objects.get_or_create(
            code=r_code, defaults={"name": r_name, "province": province}
        )
        District.objects.get_or_create(code=d_code, defaults={"name": d_name, "regency": regency})


def _waves(now: dt.datetime) -> tuple[Wave, Wave]:
    announced, _ = Wave.objects.get_or_create(
        number=1,
        defaults={
            "opens_at": now - dt.timedelta(days=20),
            "closes_at": now - dt.timedelta(days=13),
            "announces_at": now - dt.timedelta(days=10),
            "quota_total": 1000,
        },
    )
    open_wave, _ = Wave.objects.get_or_create(
        number=2,
        defaults={
            "opens_at": now - dt.timedelta(days=1),
            "closes_at": now + dt.timedelta(days=6),
            "announces_at": now + dt.timedelta(days=8),
            "quota_total": 1000,
        },
    )
    return announced, open_wave


def _nik(birth: dt.date, gender: str, serial: int) -> str:
    day = birth.day + (40 if gender == "F" else 0)
    return f"320101{day:02d}{birth:%m%y}{serial:04d}"


@transaction.atomic
def _person(*, email, name, state, phone, birth, gender, serial, wave, now) -> Participant:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user.participant
    user = User.objects.create_user(
        email=email, password=DEMO_PASSWORD, full_name=name, email_verified_at=now
    )
    participant = Participant(
        user=user,
        birth_date=birth,
        gender=gender,
        province_id="32",
        regency_id="3201",
        district_id="320101",
        address="Jl. Raya Cibinong No. 1",
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
    services.set_identity_numbers(
        participant=participant, nik=_nik(birth, gender, serial), kk=f"3201{serial:012d}"
    )
    participant.save()
    if state == "applicant":
        return participant
    # Selected in the announced wave: card, balance and the 30-day clock, as selection does.
    participant.status = Participant.Status.SELECTED
    participant.wave = wave
    participant.selected_at = wave.announces_at
    participant.card_number = cards.new_card_number()
    participant.first_purchase_deadline = deadlines.first_purchase_deadline(wave.announces_at)
    participant.save()
    services.grant_balance(participant=participant, now=wave.announces_at)
    if state == "active":
        services.transition_status(
            participant=participant,
            to=Participant.Status.ACTIVE,
            reason_code="oriented",
            now=now,
            oriented_at=now,
        )
    elif state == "revoked":
        services.revoke_participation(
            participant=participant,
            reason_code="fraud",
            note="Data demo",
            now=now,
        )
    participant.refresh_from_db()
    return participant


def seed(*, now: dt.datetime) -> list[str]:
    _areas()
    announced, _ = _waves(now)
    if not User.objects.filter(email=STAFF_EMAIL).exists():
        User.objects.create_superuser(
            email=STAFF_EMAIL, password=DEMO_PASSWORD, full_name="Staf Prakerja"
        )
    lines = [f"DEMO email={STAFF_EMAIL} password={DEMO_PASSWORD} state=staff card=- phone=-"]
    for email, name, state, phone, birth, gender, serial in DEMO_PEOPLE:
        participant = _person(
            email=email,
            name=name,
            state=state,
            phone=phone,
            birth=birth,
            gender=gender,
            serial=serial,
            wave=announced,
            now=now,
        )
        lines.append(
            f"DEMO email={email} password={DEMO_PASSWORD} state={state} "
            f"card={participant.card_number or '-'} phone={participant.phone}"
        )
    return lines
