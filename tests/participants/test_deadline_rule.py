"""A deadline a person can always meet: no wave is announced after 16 November (docs/program.md
section 4)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from participants.admin.waves import WaveAdminForm
from participants.cards import deadlines
from tests.factories import ProvinceFactory, UserFactory, WaveFactory
from trainings import waves
from trainings.models import RecoveredQuota

WIB = deadlines.WIB
LAST_SECOND = dt.datetime(2026, 11, 16, 23, 59, 59, tzinfo=WIB)
TOO_LATE = dt.datetime(2026, 11, 17, 0, 0, 0, tzinfo=WIB)


def test_the_last_announcement_day_is_15_december_minus_29_days():
    assert deadlines.last_announcement_day(2026) == dt.date(2026, 11, 16)
    # Announced on the last day, the window ends exactly at the balance expiry.
    assert deadlines.first_purchase_deadline(LAST_SECOND).date() == dt.date(2026, 12, 15)
    assert deadlines.first_purchase_deadline(LAST_SECOND) <= deadlines.balance_expiry(LAST_SECOND)


def test_an_announcement_at_23_59_59_wib_on_16_november_is_allowed():
    deadlines.check_announcement(LAST_SECOND)


def test_an_announcement_at_00_00_00_wib_on_17_november_is_refused_with_the_last_date():
    with pytest.raises(deadlines.AnnouncementTooLate) as refused:
        deadlines.check_announcement(TOO_LATE)
    assert refused.value.code == "announcement_too_late"
    assert "16 November 2026 23.59 WIB" in str(refused.value.message)
    assert "15 Desember 2026 23.59 WIB" in str(refused.value.message)


def _pool():
    province = ProvinceFactory(code="32", name="JAWA BARAT")
    RecoveredQuota.objects.create(
        source_wave=WaveFactory(number=12), province=province, recovered=5
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("announces_at", "allowed"), [(LAST_SECOND, True), (TOO_LATE, False)], ids=["23:59:59", "00:00"]
)
def test_the_wave_service_refuses_a_late_announcement_at_the_boundary_second(announces_at, allowed):
    _pool()
    staff = UserFactory(is_staff=True)
    # Staff fill the form a second before the announcement; the wave closed just before.
    with time_machine.travel(announces_at - dt.timedelta(hours=2), tick=False):
        kwargs = {
            "number": 29,
            "opens_at": announces_at - dt.timedelta(days=7),
            "closes_at": announces_at - dt.timedelta(hours=1),
            "announces_at": announces_at,
            "actor": staff,
        }
        if allowed:
            assert waves.open_additional_wave(**kwargs).number == 29
            return
        with pytest.raises(deadlines.AnnouncementTooLate) as refused:
            waves.open_additional_wave(**kwargs)
    assert "16 November 2026 23.59 WIB" in str(refused.value.message)
    assert RecoveredQuota.objects.get().allocated == 0


def _wave_form(announces_at):
    local = announces_at.astimezone(WIB)
    data = {
        "number": 30,
        "opens_at": f"{local - dt.timedelta(days=7):%Y-%m-%d} 08:00:00",
        "closes_at": f"{local - dt.timedelta(days=1):%Y-%m-%d} 08:00:00",
        "announces_at": f"{local:%Y-%m-%d %H:%M:%S}",
        "program_year": 2026,
        "quota_total": 100,
    }
    return WaveAdminForm(data=data)


@pytest.mark.django_db
def test_the_admin_wave_form_refuses_a_late_announcement_and_names_the_last_date():
    staff_day = dt.datetime(2026, 11, 1, 9, 0, tzinfo=WIB)  # the window is still ahead
    with time_machine.travel(staff_day, tick=False):
        form = _wave_form(TOO_LATE)
        assert not form.is_valid()
        assert "16 November 2026 23.59 WIB" in " ".join(form.errors["announces_at"])
        assert _wave_form(LAST_SECOND).is_valid(), _wave_form(LAST_SECOND).errors


@pytest.mark.django_db
def test_the_admin_wave_form_says_which_date_is_the_last_possible_one(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with time_machine.travel(dt.datetime(2026, 10, 1, 9, 0, tzinfo=WIB), tick=False):
        body = client.get(reverse("admin:participants_wave_add")).content.decode()
    assert "16 November 2026 23.59 WIB" in body
