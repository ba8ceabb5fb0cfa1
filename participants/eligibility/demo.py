"""Demo data for eligibility: a small list from every source, in force on whatever day
``seed_demo`` runs, and a demo person refused at selection because the BSU list names them.
Idempotent: a list still in force is kept; one past its validity gets a new version."""

import datetime as dt
import io

from django.db import transaction
from django.utils import timezone

from participants import services
from participants.eligibility import lists
from participants.eligibility.sources import RULES, Source
from participants.models import AgencyList, Application, Participant, User, Wave

VALIDITY_DAYS = 180
BSU_PERSON = (
    "bsu@prakerja.local",
    "Rahmat Hidayat",
    "+6281200000021",
    dt.date(1989, 8, 17),
    21,
)


def _nik(serial: int, birth: dt.date) -> str:
    return f"320101{birth:%d%m%y}{serial:04d}"


def _strangers(source: str) -> list[str]:
    """Three NIKs of people who never registered (a district code nobody else uses)."""
    index = list(RULES).index(source)
    return [f"3201020101{80 + index:02d}{n:04d}" for n in (1, 2, 3)]


def _bsu_person(*, password: str, wave: Wave, now: dt.datetime) -> tuple[Participant, str]:
    email, name, phone, birth, serial = BSU_PERSON
    nik = _nik(serial, birth)
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user.participant, nik
    user = User.objects.create_user(
        email=email, password=password, full_name=name, email_verified_at=now
    )
    participant = Participant(
        user=user,
        birth_date=birth,
        gender="M",
        province_id="32",
        regency_id="3201",
        district_id="320101",
        address="Jl. Pahlawan No. 17, Cibinong",
        education=Participant.Education.SMA,
        employment_status=Participant.Employment.LAID_OFF,
        identity_verified_at=now,
        registry_status=Participant.RegistryStatus.MATCH,
        registry_checked_at=now,
        phone=phone,
        phone_verified_at=now,
        is_student=False,
        is_civil_servant=False,
        receives_social_aid=False,
        is_unemployed=True,
        declared_at=now,
        test_passed_at=now,
    )
    services.set_identity_numbers(participant=participant, nik=nik, kk=f"3201{serial:012d}")
    participant.save()
    # Refused at the wave's selection for the BSU entry (the list below names this NIK).
    Application.objects.create(
        participant=participant,
        wave=wave,
        joined_at=wave.opens_at,
        decided_at=wave.announces_at,
        status=Application.Status.NOT_SELECTED,
        reason_code=Application.Reason.OTHER_AID_BSU,
    )
    return participant, nik


@transaction.atomic
def seed(*, now: dt.datetime, password: str) -> list[str]:
    """Lists for every source (the BSU one naming the demo person) and the demo person, refused
    at the latest announced demo wave. Returns the person's DEMO line."""
    wave = Wave.objects.filter(selection_run__isnull=False).order_by("-announces_at").first()
    if wave is None:
        return []
    person, nik = _bsu_person(password=password, wave=wave, now=now)
    today = timezone.localdate(now)
    in_force = set(
        AgencyList.objects.filter(
            status=AgencyList.Status.ACTIVE, valid_until__gte=today
        ).values_list("source", flat=True)
    )
    for source in Source.values:
        if source in in_force:
            continue
        niks = _strangers(source) + ([nik] if source == Source.BSU else [])
        lists.import_list(
            source=source,
            stream=io.BytesIO(("nik\n" + "\n".join(niks) + "\n").encode()),
            list_date=today,
            valid_until=today + dt.timedelta(days=VALIDITY_DAYS),
            file_name=f"demo-{source}.csv",
            now=now,
        )
    return [
        f"DEMO email={person.user.email} password={password} state=not_selected card=- "
        f"phone={person.phone}"
    ]
