"""Fixtures for the participant journey: reference areas, the question bank, a fresh account."""

import datetime as dt

import pytest
from django.utils import timezone

from participants.demo import seed_question_bank, seed_videos
from participants.registration import steps
from participants.registration.areas import load_areas
from tests.factories import DEFAULT_PASSWORD, make_nik

BIRTH = dt.date(1995, 6, 15)


@pytest.fixture
def areas(db):
    """Kemendagri areas of DKI Jakarta and Jawa Barat (the full set is loaded by seed_demo)."""
    return load_areas(provinces=["31", "32"])


@pytest.fixture
def question_bank(db):
    return seed_question_bank()


@pytest.fixture
def videos(db):
    return seed_videos(duration_seconds=3)


@pytest.fixture
def new_user(db):
    """A just-registered, email-verified account with an empty participant record."""
    user = steps.register_user(
        full_name="Rudi Hartono", email="rudi@contoh.id", password=DEFAULT_PASSWORD
    )
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


def identity_kwargs(**overrides):
    """Valid identity data for submit_identity (district 320101, Cibinong, Kab. Bogor)."""
    from participants.models import District

    data = {
        "nik": make_nik(birth_date=BIRTH, gender="M", serial=77),
        "kk": "3201010101010001",
        "birth_date": BIRTH,
        "gender": "M",
        "district": District.objects.get(code="320101"),
        "address": "Jl. Mawar No. 2, RT 01/RW 02, Pakansari",
        "education": "sma",
        "employment_status": "unemployed",
    }
    data.update(overrides)
    return data


@pytest.fixture(params=["superuser", "officer"])
def wave_staff(request):
    """The demo superuser, and an officer holding exactly WAVE_OFFICER_PERMISSIONS."""
    from participants.admin.waves import WAVE_OFFICER_PERMISSIONS
    from tests.factories import UserFactory
    from tests.staff import staff_with

    if request.param == "superuser":
        return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    return staff_with(WAVE_OFFICER_PERMISSIONS, "gelombang@prakerja.local")
