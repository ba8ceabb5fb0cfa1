"""The selection preview: what the draw of a closed wave would decide, without writing anything,
and the wave's stage ("Sedang diproses" between closing and the announcement)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participants.models import Application, SelectionRun, WaveProvinceQuota
from participants.waves.labels import wave_stage
from participants.waves.selection import WaveNotClosed, preview_selection, run_selection
from tests.factories import ProvinceFactory, UserFactory
from tests.participants.test_selection import NOW, apply, closed_wave

pytestmark = pytest.mark.django_db
R = Application.Reason


def populated_wave(**kwargs):
    wave = closed_wave(**kwargs)
    west_java = ProvinceFactory(code="32")
    jakarta = ProvinceFactory(code="31", name="DKI JAKARTA")
    WaveProvinceQuota.objects.create(wave=wave, province=west_java, quota=2)
    for _ in range(4):
        apply(wave)
    apply(wave, is_student=True)
    apply(wave, province=jakarta)  # no quota there
    return wave


def test_the_preview_counts_what_the_draw_decides_per_province_and_reason():
    wave = populated_wave()
    preview = preview_selection(wave=wave, seed="pratinjau", now=NOW)
    assert preview.applicants == 6
    assert preview.selected == 2
    assert preview.counts_by_reason == {
        R.QUOTA_FULL.value: 2,
        R.STUDENT.value: 1,
        R.OUTSIDE_QUOTA_REGION.value: 1,
    }
    by_province = {(row.province_code, row.reason): row.count for row in preview.rows}
    assert by_province == {
        ("32", "selected"): 2,
        ("32", R.QUOTA_FULL.value): 2,
        ("32", R.STUDENT.value): 1,
        ("31", R.OUTSIDE_QUOTA_REGION.value): 1,
    }
    run = run_selection(wave=wave, seed="pratinjau", now=NOW)
    assert run.counts_by_reason == preview.counts_by_reason
    assert run.selected == preview.selected


def test_the_preview_writes_nothing():
    wave = populated_wave()
    before = list(Application.objects.order_by("id").values_list("status", "reason_code"))
    with CaptureQueriesContext(connection) as queries:
        preview_selection(wave=wave, now=NOW)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert not SelectionRun.objects.exists()
    assert list(Application.objects.order_by("id").values_list("status", "reason_code")) == before


def test_the_preview_is_refused_before_the_wave_closes():
    wave = closed_wave(closes_at=NOW + dt.timedelta(hours=1), announces_at=NOW + dt.timedelta(1))
    with pytest.raises(WaveNotClosed):
        preview_selection(wave=wave, now=NOW)


def test_the_wave_stage_reads_sedang_diproses_between_closing_and_the_announcement():
    wave = closed_wave(announces_at=NOW + dt.timedelta(hours=3))
    assert wave_stage(wave, now=NOW - dt.timedelta(days=5)).text == "Dibuka"
    assert wave_stage(wave, now=NOW).text == "Sedang diproses"
    run_selection(wave=wave, now=NOW + dt.timedelta(hours=3))
    wave.refresh_from_db()
    assert wave_stage(wave, now=NOW + dt.timedelta(hours=3)).text == "Sudah diumumkan"


@pytest.mark.parametrize("who", ["superuser", "officer"])
def test_staff_see_the_stage_and_the_preview_on_the_wave_page(client, who):
    now = timezone.now()
    wave = populated_wave(
        opens_at=now - dt.timedelta(days=5),
        closes_at=now - dt.timedelta(hours=1),
        announces_at=now + dt.timedelta(hours=5),
    )
    if who == "superuser":
        staff = UserFactory(is_staff=True, is_superuser=True)
    else:
        # The documented wave officer: may view waves (and so preview), not change them.
        staff = UserFactory(is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_wave"))
    client.force_login(staff)
    page = client.get(f"/admin/participants/wave/{wave.pk}/change/").content.decode()
    assert "Sedang diproses" in page
    assert "pratinjau-seleksi/" in page
    listing = client.get("/admin/participants/wave/").content.decode()
    assert "Sedang diproses" in listing
    response = client.get(f"/admin/participants/wave/{wave.pk}/pratinjau-seleksi/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kuota penuh" in body or str(R.QUOTA_FULL.label) in body
    assert "DKI JAKARTA" in body
    assert not SelectionRun.objects.exists()


def test_the_dashboard_shows_sedang_diproses_until_the_selection_runs_at_the_announcement(client):
    """The beat job marks a closed wave's applications processing and runs the selection only at
    the announcement time, so the state shows in between."""
    import time_machine
    from django.urls import reverse

    from participants.waves.selection import run_due_selections

    wave = closed_wave(announces_at=NOW + dt.timedelta(hours=3))
    participant = apply(wave)
    client.force_login(participant.user)
    with time_machine.travel(NOW, tick=False):
        assert run_due_selections(now=NOW) == []
        body = client.get(reverse("dashboard")).content.decode()
    assert "Sedang diproses" in body
    assert Application.objects.get(participant=participant).status == "processing"
    later = NOW + dt.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        assert len(run_due_selections(now=later)) == 1
        body = client.get(reverse("dashboard")).content.decode()
    assert "Sedang diproses" not in body


def test_the_program_dashboard_shows_each_wave_stage(client):
    now = timezone.now()
    closed_wave(
        number=61,
        opens_at=now - dt.timedelta(days=5),
        closes_at=now - dt.timedelta(hours=1),
        announces_at=now + dt.timedelta(hours=5),
    )
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_program_dashboard"))
    client.force_login(staff)
    body = client.get("/admin/laporan/").content.decode()
    assert "Gelombang 61" in body and "Sedang diproses" in body
