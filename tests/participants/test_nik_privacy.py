"""A mask that hides: staff without ``view_full_nik`` see neither the NIK's
derivable digits (district, birth date, gender: the first twelve) nor the profile fields that
would give them back, in the admin and in CSV exports (docs/privacy.md)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from participants.models import District
from prakerja import crypto
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_participant"))
    return user


def derivable_giveaways(participant) -> list[str]:
    """Every way the twelve derivable digits (or a part of them) could show on a page."""
    nik = participant._nik
    birth = participant.birth_date
    return [
        nik[:4],
        nik[:6],
        nik[6:12],
        birth.isoformat(),
        birth.strftime("%d/%m/%Y"),
        f"{birth.day} {birth.strftime('%B')}",
        translation.override("id")(date_format)(birth),
        participant.district.name,
        participant.address,
    ]


def test_the_mask_hides_every_derivable_digit():
    assert crypto.mask_nik("3201011506950007") == "************0007"


def test_an_officer_without_the_permission_cannot_rebuild_the_nik_from_the_admin(
    client, officer, areas
):
    district = District.objects.select_related("regency").get(code="320101")
    participant = ParticipantFactory(
        address="Jl. Melati No. 7, Cibinong", district=district, regency=district.regency
    )
    client.force_login(officer)
    body = client.get(
        reverse("admin:participants_participant_change", args=[participant.pk])
    ).content.decode()
    assert participant.nik_masked == "************" + participant._nik[-4:]
    assert participant.nik_masked in body
    for giveaway in derivable_giveaways(participant):
        assert giveaway not in body, giveaway
    for label in ("Tanggal lahir", "Jenis kelamin", "Kecamatan", "Alamat"):
        assert label not in body, label


def test_an_officer_with_the_permission_sees_the_profile(client, officer):
    officer.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    participant = ParticipantFactory()
    client.force_login(officer)
    body = client.get(
        reverse("admin:participants_participant_change", args=[participant.pk])
    ).content.decode()
    assert participant._nik in body
    assert "Tanggal lahir" in body
    assert translation.override("id")(date_format)(participant.birth_date) in body
