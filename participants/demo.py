"""Demo data for participants: reference areas, waves, a staff account, the basic-test question
bank, the orientation videos and demo participants in each lifecycle state. Idempotent: running
it again finds what exists."""

import datetime as dt

from django.db import transaction

from participants import cards, deadlines, services, staff_otp
from participants.areas import load_areas
from participants.models import (
    Application,
    BasicTestQuestion,
    LedgerEntry,
    OrientationVideo,
    Participant,
    SelectionRun,
    User,
    Wave,
)
from participants.question_bank import QUESTIONS

DEMO_PASSWORD = "prakerja123"  # noqa: S105 (published demo password)
STAFF_EMAIL = "staf@prakerja.local"

VIDEOS = [
    (1, "Mengenal Kartu Prakerja", "Apa itu Kartu Prakerja, hak dan kewajiban peserta."),
    (2, "Cara membeli pelatihan", "Memilih pelatihan dan membayar di platform digital mitra."),
    (
        3,
        "Insentif dan batas waktu",
        "Batas 30 hari pembelian pertama dan insentif pasca-pelatihan.",
    ),
]

# Every state the participant journey knows, from a bare account to revoked. The first four keep
# the DEMO lines earlier versions printed.
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
    (
        "dibekukan@prakerja.local",
        "Wahyu Pratama",
        "frozen",
        "+6281200000009",
        dt.date(1992, 4, 18),
        "M",
        9,
    ),
    (
        "kedaluwarsa@prakerja.local",
        "Lina Kartika",
        "expired",
        "+6281200000010",
        dt.date(1991, 10, 3),
        "F",
        10,
    ),
    ("baru@prakerja.local", "Rina Marlina", "registered", "", dt.date(1999, 2, 14), "F", 5),
    (
        "identitas@prakerja.local",
        "Joko Susilo",
        "identity_verified",
        "",
        dt.date(1993, 9, 9),
        "M",
        6,
    ),
    (
        "menunggu@prakerja.local",
        "Putri Handayani",
        "joined",
        "+6281200000007",
        dt.date(1996, 5, 23),
        "F",
        7,
    ),
    (
        "belum@prakerja.local",
        "Hendra Wijaya",
        "not_selected",
        "+6281200000008",
        dt.date(1985, 12, 30),
        "M",
        8,
    ),
]

PROFILE_STATES = {"registered": 0, "identity_verified": 1}


def seed_question_bank() -> int:
    """Load the starter bank once (only into an empty bank: staff edits are kept)."""
    if not BasicTestQuestion.objects.exists():
        BasicTestQuestion.objects.bulk_create(
            BasicTestQuestion(
                text=text, option_a=a, option_b=b, option_c=c, option_d=d, correct_option=ok
            )
            for text, a, b, c, d, ok in QUESTIONS
        )
    return BasicTestQuestion.objects.count()


def seed_videos(*, duration_seconds: int = 3) -> int:
    """The three short demo videos shipped under static/video/."""
    for order, title, description in VIDEOS:
        OrientationVideo.objects.get_or_create(
            order=order,
            defaults={
                "title": title,
                "description": description,
                "url": f"/static/video/orientasi-{order}.webm",
                "duration_seconds": duration_seconds,
            },
        )
    return OrientationVideo.objects.count()


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
def _person(*, email, name, state, phone, birth, gender, serial, announced, open_wave, now):
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user.participant
    step = PROFILE_STATES.get(state, 2)
    user = User.objects.create_user(
        email=email,
        password=DEMO_PASSWORD,
        full_name=name,
        email_verified_at=now if step >= 1 else None,
    )
    participant = Participant(user=user)
    if step >= 1:
        participant.birth_date = birth
        participant.gender = gender
        participant.province_id = "32"
        participant.regency_id = "3201"
        participant.district_id = "320101"
        participant.address = "Jl. Raya Cibinong No. 1"
        participant.education = Participant.Education.SMA
        participant.employment_status = Participant.Employment.UNEMPLOYED
        participant.identity_verified_at = now
        participant.registry_status = Participant.RegistryStatus.MATCH
        participant.registry_checked_at = now
        services.set_identity_numbers(
            participant=participant, nik=_nik(birth, gender, serial), kk=f"3201{serial:012d}"
        )
    if step >= 2:
        participant.phone = phone
        participant.phone_verified_at = now
        participant.is_student = False
        participant.is_civil_servant = False
        participant.receives_social_aid = False
        participant.is_unemployed = True
        participant.declared_at = now
        participant.test_passed_at = now
    participant.save()
    if state in PROFILE_STATES or state == "applicant":
        return participant
    if state == "joined":
        Application.objects.create(participant=participant, wave=open_wave, joined_at=now)
        return participant
    application = Application.objects.create(
        participant=participant,
        wave=announced,
        joined_at=announced.opens_at,
        decided_at=announced.announces_at,
        status=Application.Status.SELECTED,
    )
    if state == "not_selected":
        application.status = Application.Status.NOT_SELECTED
        application.reason_code = Application.Reason.QUOTA_FULL
        application.save()
        return participant
    # Selected in the announced wave: card, balance and the 30-day clock, as selection does.
    services.transition_status(
        participant=participant,
        to=Participant.Status.SELECTED,
        reason_code="selected",
        now=announced.announces_at,
        wave=announced,
        selected_at=announced.announces_at,
        card_number=cards.new_card_number(),
        first_purchase_deadline=deadlines.first_purchase_deadline(announced.announces_at),
    )
    services.grant_balance(participant=participant, now=announced.announces_at)
    if state in ("active", "frozen", "expired"):
        services.transition_status(
            participant=participant,
            to=Participant.Status.ACTIVE,
            reason_code="oriented",
            now=now,
            oriented_at=now,
        )
    if state == "frozen":
        services.freeze_card(
            participant=participant,
            reason="Data demo: laporan penggunaan kartu oleh orang lain sedang diperiksa.",
            actor=None,
            now=now,
        )
    elif state == "expired":
        # As the 15 December expiry does for one person: the ledger entry, then the status.
        services.zero_balance(
            participant_id=participant.pk, kind=LedgerEntry.Kind.EXPIRY, reference="demo", now=now
        )
        services.transition_status(
            participant=participant,
            to=Participant.Status.EXPIRED,
            reason_code="balance_expired",
            now=now,
            balance_expires_at=now,
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
    load_areas()
    seed_question_bank()
    seed_videos()
    announced, open_wave = _waves(now)
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        staff = User.objects.create_superuser(
            email=STAFF_EMAIL, password=DEMO_PASSWORD, full_name="Staf Prakerja"
        )
    # The admin asks staff for a TOTP token (participants.staff_otp); the demo device's secret is
    # printed so a demo user can add it to an authenticator app.
    totp = staff_otp.ensure_totp_device(user=staff, key_hex=staff_otp.demo_totp_key_hex())
    lines = [
        f"DEMO email={STAFF_EMAIL} password={DEMO_PASSWORD} state=staff card=- phone=- totp={totp}"
    ]
    for email, name, state, phone, birth, gender, serial in DEMO_PEOPLE:
        participant = _person(
            email=email,
            name=name,
            state=state,
            phone=phone,
            birth=birth,
            gender=gender,
            serial=serial,
            announced=announced,
            open_wave=open_wave,
            now=now,
        )
        lines.append(
            f"DEMO email={email} password={DEMO_PASSWORD} state={state} "
            f"card={participant.card_number or '-'} phone={participant.phone or '-'}"
        )
    if not SelectionRun.objects.filter(wave=announced).exists():
        decided = Application.objects.filter(wave=announced)
        selected = decided.filter(status=Application.Status.SELECTED).count()
        SelectionRun.objects.create(
            wave=announced,
            seed="demo-wave-1",
            started_at=announced.announces_at,
            finished_at=announced.announces_at,
            applicants=decided.count(),
            eligible=decided.count(),
            selected=selected,
            not_selected=decided.count() - selected,
            counts_by_reason={"quota_full": decided.count() - selected},
        )
    return lines
