"""Demo data for participants: reference areas, waves, a staff account, the basic-test question
bank, the orientation videos and demo participants in each lifecycle state. Idempotent: running
it again finds what exists."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from participants import services, staff_otp
from participants.cards import deadlines, expiry
from participants.cards import numbers as card_numbers
from participants.models import (
    Application,
    BasicTestQuestion,
    District,
    LedgerEntry,
    OrientationVideo,
    Participant,
    SelectionRun,
    User,
    Wave,
)
from participants.registration.areas import load_areas
from participants.registration.question_bank import QUESTIONS
from participants.waves import schedule

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


@dataclass(frozen=True)
class DemoWaves:
    """The demo's waves, built relative to the day ``seed_demo`` runs so that they obey the
    admin's wave rules (``participants.waves.schedule.check_wave_dates``) on any day of the year."""

    previous: Wave  # announced in the last program year whose balances have expired
    announced: Wave  # closed and announced in the current program year
    open: Wave  # open now; after 16 November it belongs to the next program year


def demo_wave_dates(now: dt.datetime) -> dict[str, dict]:
    """The three demo waves' dates and program years as of ``now``:

    - ``announced``: in the program year announcing now (``deadlines.program_year_of``: after
      16 November the next one), ten days ago or at the start of that year's announcement
      period if that is later, so its people's 30-day window is still running and ends by
      their balance expiry;
    - ``previous``: 10 November of the last program year whose balance expiry has passed;
    - ``open``: opened yesterday, closes in six days, announced in eight, in the program year
      of that announcement.
    """
    year = deadlines.program_year_of(now)
    announced = max(now - dt.timedelta(days=10), deadlines.first_announcement_at(year))
    expired_year = deadlines.wib_date(now).year
    if deadlines.program_balance_expiry(expired_year) >= now:
        expired_year -= 1
    previous = dt.datetime(expired_year, 11, 10, 10, 0, tzinfo=deadlines.WIB)
    opens = now - dt.timedelta(days=1)
    announces = now + dt.timedelta(days=8)
    return {
        "previous": {
            "opens_at": previous - dt.timedelta(days=10),
            "closes_at": previous - dt.timedelta(days=3),
            "announces_at": previous,
            "program_year": expired_year,
        },
        "announced": {
            "opens_at": announced - dt.timedelta(days=10),
            "closes_at": announced - dt.timedelta(days=3),
            "announces_at": announced,
            "program_year": year,
        },
        "open": {
            "opens_at": opens,
            "closes_at": now + dt.timedelta(days=6),
            "announces_at": announces,
            "program_year": deadlines.program_year_of(announces),
        },
    }


def _waves(now: dt.datetime) -> DemoWaves:
    made = {}
    for number, (name, dates) in enumerate(demo_wave_dates(now).items(), start=1):
        wave = Wave.objects.filter(number=number).first()
        if wave is None:
            # Checked by the rules the admin's wave form applies; the two past windows are
            # history (set as they were when those waves opened).
            schedule.check_wave_dates(**dates, now=now, window_moved=name == "open")
            wave = Wave.objects.create(number=number, quota_total=1000, **dates)
        made[name] = wave
    return DemoWaves(**made)


def _nik(birth: dt.date, gender: str, serial: int) -> str:
    day = birth.day + (40 if gender == "F" else 0)
    return f"320101{day:02d}{birth:%m%y}{serial:04d}"


@transaction.atomic
def _person(*, email, name, state, phone, birth, gender, serial, demo_waves, now):
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
    participant = Participant.objects.create(user=user)
    # Through the services registration uses, so the demo has the audit rows a real person has.
    if step >= 1:
        services.record_identity(
            participant=participant,
            nik=_nik(birth, gender, serial),
            kk=f"3201{serial:012d}",
            birth_date=birth,
            gender=gender,
            district=District.objects.select_related("regency").get(pk="320101"),
            address="Jl. Raya Cibinong No. 1",
            education=Participant.Education.SMA,
            employment_status=Participant.Employment.UNEMPLOYED,
            registry={
                "registry_status": Participant.RegistryStatus.MATCH,
                "registry_checked_at": now,
            },
            now=now,
        )
    if step >= 2:
        services.record_verified_phone(participant=participant, phone=phone, now=now)
        services.record_declarations(
            participant=participant,
            is_student=False,
            is_civil_servant=False,
            receives_social_aid=False,
            is_unemployed=True,
            now=now,
        )
        Participant.objects.filter(pk=participant.pk).update(test_passed_at=now)
        participant.refresh_from_db()
    if state in PROFILE_STATES or state == "applicant":
        return participant
    if state == "joined":
        Application.objects.create(participant=participant, wave=demo_waves.open, joined_at=now)
        return participant
    # The expired person was selected in the last program year whose balances have expired;
    # everyone else in the current one.
    wave = demo_waves.previous if state == "expired" else demo_waves.announced
    application = Application.objects.create(
        participant=participant,
        wave=wave,
        joined_at=wave.opens_at,
        decided_at=wave.announces_at,
        status=Application.Status.SELECTED,
    )
    if state == "not_selected":
        application.status = Application.Status.NOT_SELECTED
        application.reason_code = Application.Reason.QUOTA_FULL
        application.save()
        return participant
    # Selected: card, balance and the 30-day clock, as selection does.
    services.transition_status(
        participant=participant,
        to=Participant.Status.SELECTED,
        reason_code="selected",
        now=wave.announces_at,
        wave=wave,
        selected_at=wave.announces_at,
        card_number=card_numbers.new_card_number(),
        first_purchase_deadline=deadlines.first_purchase_deadline(wave.announces_at),
    )
    services.grant_balance(participant=participant, now=wave.announces_at)
    if state == "expired":
        _expired(participant, wave=wave)
    elif state in ("active", "frozen", "revoked"):
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
            reason="Data demo: laporan dari pihak lain, bukti di tiket internal.",
            participant_reason=(
                "Ada laporan bahwa kartu Anda dipakai orang lain; kami sedang memeriksanya."
            ),
            actor=None,
            now=now,
            notify=False,
        )
    elif state == "revoked":
        services.revoke_for_fraud(
            participant=participant,
            reason="Data demo: bukti di tiket internal.",
            participant_reason="Tes kemampuan dasar Anda dikerjakan oleh orang lain.",
            actor=None,
            now=now,
            notify=False,
        )
    participant.refresh_from_db()
    return participant


def _expired(participant: Participant, *, wave: Wave) -> None:
    """A card of ``wave`` that could not buy in time and whose balance expired first: oriented
    the day after the announcement, frozen for a report from the tenth to the twenty-fifth day
    (lifting it gave the 15 days back, moving the deadline past 15 December), then the
    15 December expiry, as ``expire_balances`` does for one person: the ledger entry, then the
    status. Not revoked, not blacklisted (docs/deadlines.md, "A freeze moves the deadline")."""
    announced = wave.announces_at
    services.transition_status(
        participant=participant,
        to=Participant.Status.ACTIVE,
        reason_code="oriented",
        now=announced + dt.timedelta(days=1),
        oriented_at=announced + dt.timedelta(days=1),
    )
    services.freeze_card(
        participant=participant,
        reason="Data demo: laporan salah sasaran.",
        participant_reason="Ada laporan terkait kartu Anda yang sedang kami periksa.",
        actor=None,
        now=announced + dt.timedelta(days=10),
        notify=False,
    )
    services.lift_freeze(
        participant=participant,
        reason="Data demo: laporan tidak terbukti.",
        participant_reason="Pemeriksaan selesai dan tidak ditemukan pelanggaran.",
        actor=None,
        now=announced + dt.timedelta(days=25),
        notify=False,
    )
    expires = deadlines.wave_balance_expiry(wave)
    services.zero_balance(
        participant_id=participant.pk, kind=LedgerEntry.Kind.EXPIRY, reference="demo", now=expires
    )
    services.transition_status(
        participant=participant,
        to=Participant.Status.EXPIRED,
        reason_code=expiry.REASON,
        now=expires,
    )


def seed(*, now: dt.datetime) -> list[str]:
    load_areas()
    seed_question_bank()
    seed_videos()
    demo_waves = _waves(now)
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
            demo_waves=demo_waves,
            now=now,
        )
        lines.append(
            f"DEMO email={email} password={DEMO_PASSWORD} state={state} "
            f"card={participant.card_number or '-'} phone={participant.phone or '-'}"
        )
    for wave in (demo_waves.previous, demo_waves.announced):
        _selection_run(wave)
    return lines


def _selection_run(wave: Wave) -> None:
    """The record of an announced demo wave's selection (the demo places people directly)."""
    if SelectionRun.objects.filter(wave=wave).exists():
        return
    decided = Application.objects.filter(wave=wave)
    selected = decided.filter(status=Application.Status.SELECTED).count()
    SelectionRun.objects.create(
        wave=wave,
        seed=f"demo-wave-{wave.number}",
        started_at=wave.announces_at,
        finished_at=wave.announces_at,
        applicants=decided.count(),
        eligible=decided.count(),
        selected=selected,
        not_selected=decided.count() - selected,
        counts_by_reason={"quota_full": decided.count() - selected},
    )
