"""The late-wave refusal through the real admin (docs/deadlines.md): a wave announced after
16 November is refused with the last possible announcement date and nothing is saved, for the
demo superuser and for an officer holding exactly the documented wave permissions."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from participants.admin.waves import WAVE_OFFICER_PERMISSIONS
from participants.cards import deadlines
from participants.models import Wave
from tests.admin_forms import rendered_form
from tests.factories import ProvinceFactory

pytestmark = pytest.mark.django_db

WIB = deadlines.WIB
README = Path(__file__).resolve().parents[2] / "README.md"


def _add_wave(client, *, today: dt.datetime, announces_at: dt.datetime, number: int):
    """GET the admin's add page, then POST every field it rendered, as a browser would."""
    url = reverse("admin:participants_wave_add")
    with time_machine.travel(today, tick=False):
        page = client.get(url)
        assert page.status_code == 200
        data = rendered_form(page.content.decode(), "wave_form")
        local = announces_at.astimezone(WIB)
        data.update(
            number=[str(number)],
            opens_at_0=[f"{today:%Y-%m-%d}"],
            opens_at_1=["08:00:00"],
            closes_at_0=[f"{local - dt.timedelta(days=1):%Y-%m-%d}"],
            closes_at_1=["08:00:00"],
            announces_at_0=[f"{local:%Y-%m-%d}"],
            announces_at_1=[f"{local:%H:%M:%S}"],
            quota_total=["100"],
            _save=["Simpan"],
        )
        return client.post(url, data)


def test_the_admin_refuses_a_late_wave_with_the_last_possible_date_and_saves_nothing(
    client, wave_staff
):
    ProvinceFactory()
    client.force_login(wave_staff)
    today = dt.datetime(2026, 11, 10, 9, 0, tzinfo=WIB)
    late = dt.datetime(2026, 11, 17, 0, 0, 0, tzinfo=WIB)

    response = _add_wave(client, today=today, announces_at=late, number=31)

    assert response.status_code == 200  # the form again, with the refusal
    body = response.content.decode()
    assert "errornote" in body
    assert "Pengumuman paling lambat 16 November 2026 23.59 WIB" in body
    assert "15 Desember 2026 23.59 WIB" in body
    assert not Wave.objects.filter(number=31).exists()

    last = dt.datetime(2026, 11, 16, 23, 59, 59, tzinfo=WIB)
    saved = _add_wave(client, today=today, announces_at=last, number=32)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Wave.objects.get(number=32).announces_at == last


def test_the_readme_lists_the_wave_officer_permissions():
    text = README.read_text()
    for dotted in WAVE_OFFICER_PERMISSIONS:
        assert f"`{dotted}`" in text, dotted
