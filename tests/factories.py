"""factory_boy factories for the whole project. Build valid data; tests override what matters."""

import datetime as dt

import factory
from django.utils import timezone

from participants import services as participant_services
from participants.cards import deadlines
from participants.cards import numbers as card_numbers
from participants.models import Participant, Province, Regency, User, Wave
from trainings.models import Offering, Platform, Provider, Training

DEFAULT_PASSWORD = "Rahasia-Prakerja-2026"


def make_nik(
    *, district_code: str = "320101", birth_date: dt.date, gender: str = "M", serial: int = 1
) -> str:
    """A syntactically valid NIK: 6-digit district code, DDMMYY (day + 40 for women), 4-digit
    serial."""
    day = birth_date.day + (40 if gender == "F" else 0)
    return f"{district_code}{day:02d}{birth_date:%m%y}{serial:04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"peserta{n}@contoh.id")
    full_name = factory.Faker("name", locale="id_ID")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    code = "32"
    name = "JAWA BARAT"


class RegencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Regency
        django_get_or_create = ("code",)

    code = "3201"
    province = factory.SubFactory(ProvinceFactory)
    name = "KABUPATEN BOGOR"


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant with a complete, verified profile (status ``applicant``)."""

    class Meta:
        model = Participant
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    birth_date = dt.date(1995, 6, 15)
    gender = "M"
    province = factory.SubFactory(ProvinceFactory)
    regency = factory.SubFactory(RegencyFactory)
    address = "Jl. Merdeka No. 1"
    education = Participant.Education.SMA
    employment_status = Participant.Employment.UNEMPLOYED
    identity_verified_at = factory.LazyFunction(timezone.now)
    registry_status = Participant.RegistryStatus.MATCH
    phone = factory.Sequence(lambda n: f"+62812{n:08d}")
    phone_verified_at = factory.LazyFunction(timezone.now)
    is_student = False
    is_civil_servant = False
    receives_social_aid = False
    is_unemployed = True
    declared_at = factory.LazyFunction(timezone.now)
    test_passed_at = factory.LazyFunction(timezone.now)

    # Plain declarations, not Params: factory_boy drops Params before _create, which needs them.
    # Generated serials stay in 1000-9999; tests pick serials below 1000 for NIKs of their own,
    # so a long run's sequence never reaches them (NIK is unique).
    serial = factory.Sequence(lambda n: 1000 + n % 9000)
    kk = factory.Sequence(lambda n: f"3201{n + 1:012d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        serial = kwargs.pop("serial")
        kk = kwargs.pop("kk")
        nik = kwargs.pop("nik", None) or make_nik(
            birth_date=kwargs["birth_date"], gender=kwargs["gender"], serial=serial % 10000
        )
        participant = model_class(*args, **kwargs)
        participant_services.set_identity_numbers(participant=participant, nik=nik, kk=kk)
        participant.save()
        participant._nik = nik
        return participant


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    number = factory.Sequence(lambda n: n + 1)
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    announces_at = factory.LazyAttribute(lambda o: o.closes_at + dt.timedelta(days=1))
    quota_total = 100


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"platform{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lp{n}")
    name = factory.LazyAttribute(lambda o: f"Lembaga {o.code.upper()}")


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    title = factory.Sequence(lambda n: f"Pelatihan Digital Marketing {n}")
    category = "Penjualan dan Pemasaran"
    provider = factory.SubFactory(ProviderFactory)
    price_idr = 250_000
    duration_hours = 8
    mode = Training.Mode.SELF_PACED


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offering

    code = factory.Sequence(lambda n: f"off-{n}")
    training = factory.SubFactory(TrainingFactory)
    platform = factory.SubFactory(PlatformFactory)
    price_idr = factory.LazyAttribute(lambda o: o.training.price_idr)
    url = factory.LazyAttribute(lambda o: f"https://{o.platform.code}.example/{o.code}")


def make_active_participant(*, now: dt.datetime | None = None, wave=None, **kwargs) -> Participant:
    """A selected, oriented participant with a card and the full training balance, built through
    the same services the program uses (grant_balance writes the ledger entry)."""
    now = now or timezone.now()
    wave = wave or WaveFactory(
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
    )
    kwargs.setdefault("status", Participant.Status.ACTIVE)
    kwargs.setdefault("oriented_at", now)
    participant = ParticipantFactory(
        wave=wave,
        selected_at=wave.announces_at,
        card_number=card_numbers.new_card_number(),
        first_purchase_deadline=deadlines.first_purchase_deadline(wave.announces_at),
        **kwargs,
    )
    participant_services.grant_balance(participant=participant, now=wave.announces_at)
    participant.refresh_from_db()
    return participant
