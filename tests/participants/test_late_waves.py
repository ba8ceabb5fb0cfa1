"""Waves that break the late-wave rule (docs/deadlines.md): an existing one is flagged on the wave
pages and on the staff dashboard, editing it is refused (not announced yet) or saved with a
warning (already announced), and its people are told and reminded of the real last day to buy:
the earlier of the first-purchase deadline and the balance expiry. The wave form also refuses a
wave whose whole window is already past, and names the right program year's dates. Through the
real admin, as the demo superuser and as an officer with exactly the documented permissions."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from participants.admin.waves import WAVE_OFFICER_PERMISSIONS
from participants.cards import deadlines
from participants.models import Wave
from participants.notices import decisions
from participants.waves.selection import run_selection
from prakerja import sms
from tests.admin_forms import rendered_form, submit_change_form
from tests.factories import ParticipantFactory, ProvinceFactory, UserFactory
from trainings.models import DeadlineReminder

pytestmark = pytest.mark.django_db

WIB = deadlines.WIB
DEC_6 = dt.datetime(2026, 12, 6, 5, 0, tzinfo=WIB)


def _with_permissions(user, dotted_names):
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture(params=["superuser", "officer"])
def staff(request):
    if request.param == "superuser":
        return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    officer = UserFactory(is_staff=True, email="gelombang@prakerja.local")
    return _with_permissions(officer, WAVE_OFFICER_PERMISSIONS)


def late_wave(number=7, *, announces_at=None) -> Wave:
    """A wave saved before the rule was checked on edits: announced 15 December 2026 05:46 WIB,
    its 30-day window ends on 13 January 2027, after the 15 December balance expiry."""
    announces_at = announces_at or dt.datetime(2026, 12, 15, 5, 46, tzinfo=WIB)
    return Wave.objects.create(
        number=number,
        opens_at=announces_at - dt.timedelta(days=9),
        closes_at=announces_at - dt.timedelta(days=2),
        announces_at=announces_at,
        quota_total=100,
    )


def change_url(wave) -> str:
    return reverse("admin:participants_wave_change", args=[wave.pk])


def test_the_wave_list_and_page_flag_a_late_wave(client, staff):
    late, fine = late_wave(), late_wave(8, announces_at=dt.datetime(2026, 11, 1, 10, tzinfo=WIB))
    client.force_login(staff)
    with time_machine.travel(DEC_6, tick=False):
        listing = client.get(reverse("admin:participants_wave_changelist")).content.decode()
        page = client.get(change_url(late)).content.decode()
        other = client.get(change_url(fine)).content.decode()
    assert listing.count("Melanggar batas pengumuman") == 1
    assert "Pengumuman paling lambat 16 November 2026 23.59 WIB" in page
    assert "Melanggar batas pengumuman" not in other


def test_the_staff_dashboard_flags_a_late_wave(client):
    late_wave()
    viewer = _with_permissions(
        UserFactory(is_staff=True, email="laporan@prakerja.local"),
        ["reports.view_program_dashboard"],
    )
    client.force_login(viewer)
    with time_machine.travel(DEC_6, tick=False):
        body = client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="gelombang-melanggar"' in body
    assert "Gelombang 7" in body
    assert "16 November 2026" in body


def test_editing_a_late_wave_not_yet_announced_is_refused_until_it_is_fixed(client, staff):
    ProvinceFactory()
    wave = late_wave()
    client.force_login(staff)
    with time_machine.travel(DEC_6, tick=False):
        refused = submit_change_form(client, change_url(wave), "wave", quota_total="120")
        assert refused.status_code == 200
        assert "Pengumuman paling lambat 16 November 2026 23.59 WIB" in refused.content.decode()
        wave.refresh_from_db()
        assert wave.quota_total == 100
        # Moved to the next program year, whose balances expire on 15 December 2027.
        saved = submit_change_form(
            client, change_url(wave), "wave", quota_total="120", program_year="2027"
        )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    wave.refresh_from_db()
    assert (wave.quota_total, wave.program_year) == (120, 2027)


def test_editing_an_announced_late_wave_saves_with_a_warning(client, staff):
    ProvinceFactory()
    wave = late_wave()
    client.force_login(staff)
    with time_machine.travel(dt.datetime(2026, 12, 16, 9, tzinfo=WIB), tick=False):
        run_selection(wave=wave)
        saved = submit_change_form(client, change_url(wave), "wave", quota_total="100")
        assert saved.status_code == 302
        page = client.get(saved["Location"]).content.decode()
    assert "Melanggar batas pengumuman" in page
    assert "15 Desember 2026" in page  # what its people are told is the last day to buy


def _add_wave(client, *, today, opens_at, closes_at, announces_at, number, program_year=None):
    url = reverse("admin:participants_wave_add")
    with time_machine.travel(today, tick=False):
        page = client.get(url)
        data = rendered_form(page.content.decode(), "wave_form")
        values = {"opens_at": opens_at, "closes_at": closes_at, "announces_at": announces_at}
        for name, value in values.items():
            local = value.astimezone(WIB)
            data[f"{name}_0"] = [f"{local:%Y-%m-%d}"]
            data[f"{name}_1"] = [f"{local:%H:%M:%S}"]
        data.update(number=[str(number)], quota_total=["100"], _save=["Simpan"])
        if program_year is not None:
            data["program_year"] = [str(program_year)]
        return page, client.post(url, data)


def test_a_wave_whose_whole_window_is_past_is_refused(client, staff):
    ProvinceFactory()
    client.force_login(staff)
    today = dt.datetime(2026, 9, 1, 9, tzinfo=WIB)
    _page, response = _add_wave(
        client,
        today=today,
        opens_at=today - dt.timedelta(days=20),
        closes_at=today - dt.timedelta(days=10),
        announces_at=today + dt.timedelta(days=1),
        number=40,
    )
    assert response.status_code == 200
    assert "sudah lewat" in response.content.decode()
    assert not Wave.objects.filter(number=40).exists()


def test_the_help_text_names_the_wave_program_year(client, staff):
    ProvinceFactory()
    client.force_login(staff)
    wave = late_wave(9, announces_at=dt.datetime(2027, 3, 1, 10, tzinfo=WIB))
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, tzinfo=WIB), tick=False):
        page = client.get(change_url(wave)).content.decode()
        add = client.get(reverse("admin:participants_wave_add")).content.decode()
    assert "16 November 2027" in page
    assert "16 November 2026" not in page
    # After 16 November, a new wave belongs to the next program year.
    assert "16 November 2027" in add


def _selected_in_a_late_wave():
    ProvinceFactory()
    person = ParticipantFactory(phone="+6281255550001")
    wave = late_wave()
    with time_machine.travel(dt.datetime(2026, 12, 9, 9, tzinfo=WIB), tick=False):
        from participants.waves.joining import join_wave

        join_wave(participant=person, wave=wave)
    with time_machine.travel(wave.announces_at, tick=False):
        run_selection(wave=wave)
    person.refresh_from_db()
    return person


def test_the_announcement_names_the_real_last_day_to_buy(sms_outbox):
    person = _selected_in_a_late_wave()
    assert person.status == "selected"
    text = decisions.selected_sms_text(participant=person)
    assert "paling lambat 15 Desember 2026 23.59 WIB" in text
    assert "Januari 2027" not in text
    email = decisions.selected_email(participant=person)
    assert "15 Desember 2026 23.59 WIB" in email.body
    assert "Januari 2027" not in email.body


def test_the_dashboard_names_the_real_last_day_to_buy(client):
    person = _selected_in_a_late_wave()
    client.force_login(person.user)
    with time_machine.travel(dt.datetime(2026, 12, 15, 9, tzinfo=WIB), tick=False):
        body = client.get(reverse("dashboard")).content.decode()
    assert "Januari 2027" not in body
    assert "15 Desember 2026 23:59" in body


def test_reminders_count_down_to_the_real_last_day(sms_outbox):
    person = _selected_in_a_late_wave()
    phone = sms.normalize_phone(person.phone)
    sent = []
    for day in range(8, 16):
        at = dt.datetime(2026, 12, day, 9, 0, tzinfo=WIB)
        call_command("send_reminders", "--now", at.isoformat())
        sent += [(day, m.text) for m in sms_outbox if m.to == phone]
        sms_outbox.clear()
    # 7, 3 and 1 days before 15 December (the expiry), not before the 13 January deadline.
    assert [day for day, _text in sent] == [8, 12, 14]
    assert all("15 Desember 2026 23.59 WIB" in text for _day, text in sent)
    assert all("Januari 2027" not in text for _day, text in sent)
    assert DeadlineReminder.objects.filter(participant=person).count() == 3
