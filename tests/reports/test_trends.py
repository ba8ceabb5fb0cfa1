"""Daily trends for staff: a rollup job counts each program event per WIB day (and wave) from
the tables that record it, set-based and idempotent, catching up late events and missed days;
the program dashboard draws them as SVG with a table, for a year or a wave, in few queries."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import call_command

from complaints.models import Complaint
from incentives.models import Installment
from participants.models import Application, Participant, ParticipantEvent
from prakerja.models import JobStatus
from reports import charts, rollup
from reports.models import DailyCount
from tests.factories import ParticipantFactory, WaveFactory
from tests.reports.conftest import installment, staff_with
from tests.trainings.sweep_helpers import wib

pytestmark = pytest.mark.django_db

URL = "/admin/laporan/"
S = DailyCount.Series


def _counts(**filters) -> dict[tuple, int]:
    return {
        (row.day, row.series, row.wave_id): row.value
        for row in DailyCount.objects.filter(**filters)
    }


def _registered(at: dt.datetime, **fields) -> Participant:
    participant = ParticipantFactory(**fields)
    Participant.objects.filter(pk=participant.pk).update(created_at=at)
    return participant


def _complaint(at: dt.datetime, user=None) -> Complaint:
    return Complaint.objects.create(
        user=user,
        name="Pelapor",
        phone="+6281200000000",
        email="pelapor@example.id",
        category=Complaint.Category.OTHER,
        subcategory="",
        description="Uraian pengaduan.",
        consent_at=at,
        created_at=at,
        updated_at=at,
    )


@pytest.fixture
def program():
    """Events on both sides of WIB midnights, in two waves and in none."""
    wave = WaveFactory(
        number=7,
        opens_at=wib(2026, 3, 1, 8),
        closes_at=wib(2026, 3, 5, 8),
        announces_at=wib(2026, 3, 6, 20),
    )
    other = WaveFactory(
        number=8,
        opens_at=wib(2026, 3, 2, 8),
        closes_at=wib(2026, 3, 6, 8),
        announces_at=wib(2026, 3, 7, 20),
    )
    # 23:59 and 00:01 WIB: two different days, although both are 1 March in UTC... and not.
    late_evening = _registered(wib(2026, 3, 1, 23, 59), wave=wave)
    after_midnight = _registered(wib(2026, 3, 2, 0, 1), wave=wave)
    in_other = _registered(wib(2026, 3, 2, 10), wave=other)
    for person, target, joined in [
        (late_evening, wave, wib(2026, 3, 2, 9)),
        (after_midnight, wave, wib(2026, 3, 2, 10)),
        (in_other, other, wib(2026, 3, 3, 9)),
    ]:
        Application.objects.create(
            participant=person,
            wave=target,
            joined_at=joined,
            status=Application.Status.SELECTED,
            decided_at=target.announces_at,
        )
    Participant.objects.filter(pk=late_evening.pk).update(first_purchase_at=wib(2026, 3, 8, 12))
    Participant.objects.filter(pk=after_midnight.pk).update(revoked_at=wib(2026, 4, 6, 0, 5))
    paid = installment(late_evening, status="paid")
    Installment.objects.filter(pk=paid.pk).update(paid_at=wib(2026, 4, 10, 1, 30))
    for at in (wib(2026, 4, 9, 1, 30), wib(2026, 4, 10, 1, 30)):  # failed twice, then paid
        ParticipantEvent.objects.create(
            participant=late_evening,
            kind=ParticipantEvent.Kind.PAYOUT,
            from_status="processing",
            to_status="failed",
            reason_code="account_closed",
            created_at=at,
        )
    _complaint(wib(2026, 3, 9, 14), user=late_evening.user)
    _complaint(wib(2026, 3, 9, 15))  # a guest's
    return {"wave": wave, "other": other}


@time_machine.travel(wib(2026, 4, 11, 12), tick=False)
def test_the_rollup_counts_each_event_on_its_wib_day_per_wave(program):
    result = rollup.rollup_daily_counts()
    wave, other = program["wave"].pk, program["other"].pk
    assert _counts() == {
        (dt.date(2026, 3, 1), S.REGISTRATIONS, None): 1,
        (dt.date(2026, 3, 2), S.REGISTRATIONS, None): 2,
        (dt.date(2026, 3, 2), S.JOINS, wave): 2,
        (dt.date(2026, 3, 3), S.JOINS, other): 1,
        (dt.date(2026, 3, 6), S.SELECTIONS, wave): 2,
        (dt.date(2026, 3, 7), S.SELECTIONS, other): 1,
        (dt.date(2026, 3, 8), S.FIRST_PURCHASES, wave): 1,
        (dt.date(2026, 4, 6), S.REVOCATIONS, wave): 1,
        (dt.date(2026, 4, 10), S.PAYOUTS_PAID, wave): 1,
        (dt.date(2026, 4, 9), S.PAYOUTS_FAILED, wave): 1,
        (dt.date(2026, 4, 10), S.PAYOUTS_FAILED, wave): 1,
        (dt.date(2026, 3, 9), S.COMPLAINTS, wave): 1,
        (dt.date(2026, 3, 9), S.COMPLAINTS, None): 1,
    }
    assert (result.since, result.until, result.events) == (None, dt.date(2026, 4, 11), 16)


def test_a_rerun_writes_the_same_rows_and_a_late_event_or_a_missed_day_is_caught_up(program):
    with time_machine.travel(wib(2026, 4, 11, 12), tick=False):
        rollup.rollup_daily_counts()
        first = _counts()
        # Two days before the last day with an event (10 April).
        assert rollup.rollup_daily_counts().since == dt.date(2026, 4, 8)
        assert _counts() == first
    # A payout callback that arrives late is dated the day before the last day counted.
    late = Participant.objects.get(created_at=wib(2026, 3, 1, 23, 59))
    ParticipantEvent.objects.create(
        participant=late,
        kind=ParticipantEvent.Kind.PAYOUT,
        from_status="unknown",
        to_status="failed",
        reason_code="name_mismatch",
        created_at=wib(2026, 4, 10, 23, 0),
    )
    # The job does not run for three days; new registrations meanwhile.
    _registered(wib(2026, 4, 12, 9))
    _registered(wib(2026, 4, 13, 9))
    with time_machine.travel(wib(2026, 4, 14, 12), tick=False):
        result = rollup.rollup_daily_counts()
    assert result.since == dt.date(2026, 4, 8)
    wave = program["wave"].pk
    assert _counts(day__gte=dt.date(2026, 4, 9)) == {
        (dt.date(2026, 4, 9), S.PAYOUTS_FAILED, wave): 1,
        (dt.date(2026, 4, 10), S.PAYOUTS_FAILED, wave): 2,
        (dt.date(2026, 4, 10), S.PAYOUTS_PAID, wave): 1,
        (dt.date(2026, 4, 12), S.REGISTRATIONS, None): 1,
        (dt.date(2026, 4, 13), S.REGISTRATIONS, None): 1,
    }
    assert _counts(day__lt=dt.date(2026, 4, 9)) == {
        key: value for key, value in first.items() if key[0] < dt.date(2026, 4, 9)
    }


def test_the_rollup_takes_a_fixed_number_of_queries(program, django_assert_max_num_queries):
    # lock, last day, delete, 8 aggregates, 1 insert (+ savepoint bookkeeping)
    with time_machine.travel(wib(2026, 4, 11, 12), tick=False):
        with django_assert_max_num_queries(14):
            rollup.rollup_daily_counts()
        for _ in range(20):
            _registered(wib(2026, 4, 11, 9))
        with django_assert_max_num_queries(14):
            rollup.rollup_daily_counts()


def test_the_command_and_the_beat_task_record_the_trends_rollup(program):
    out = io.StringIO()
    call_command("rollup_trends", "--now", "2026-04-11T12:00", "--since", "2026-03-01", stdout=out)
    line = out.getvalue().strip()
    assert line == ("rollup_trends since=2026-03-01 until=2026-04-11 days=42 rows=13 events=16")
    status = JobStatus.objects.get(job="trends-rollup")
    assert status.last_counts == {"days": 42, "rows": 13, "events": 16}


@time_machine.travel(wib(2026, 4, 11, 12), tick=False)
def test_staff_see_the_years_trends_as_svg_with_title_description_and_a_table(client, program):
    rollup.rollup_daily_counts()
    client.force_login(staff_with("view_program_dashboard"))
    html = client.get(URL).content.decode()
    assert '<option value="2026" selected>Tahun 2026</option>' in html
    assert '<option value="g7">Gelombang 7</option>' in html
    section = html[
        html.index('<section id="tren"') : html.index("</section>", html.index('id="tren"'))
    ]
    assert section.count("<svg") == 8 and section.count('role="img"') == 8
    assert '<title id="tren-registrations-judul">Pendaftaran akun Tahun 2026</title>' in section
    assert "Total 3; tertinggi 2 pada 2 Mar 2026." in section
    # One point per day from 1 January to today (101 days).
    registrations = re.search(r'tren-registrations-ket.*?points="([^"]+)"', section, re.S)
    assert len(registrations.group(1).split()) == 101
    assert '<th scope="row">9 Mar 2026</th>' in section
    assert "<script" not in section
    assert "Diperbarui 11 Apr 2026 12:00 WIB" not in section  # the job did not run yet
    assert "rollup_trends" in section


@time_machine.travel(wib(2026, 4, 11, 12), tick=False)
def test_a_waves_trends_leave_registrations_out(client, program):
    call_command("rollup_trends", stdout=io.StringIO())
    client.force_login(staff_with("view_program_dashboard"))
    html = client.get(URL, {"tren": "g7"}).content.decode()
    section = html[html.index('<section id="tren"') :]
    assert '<option value="g7" selected>Gelombang 7</option>' in section
    assert section.count('<figure class="trend">') == 7
    assert "Pendaftaran akun" not in section.split("</section>")[0]
    assert "Gelombang 7: 2 Mar 2026 sampai 10 Apr 2026" in section
    assert "Diperbarui 11 Apr 2026 12:00 WIB" in section
    # Unknown periods fall back to this year rather than failing.
    assert client.get(URL, {"tren": "g999"}).status_code == 200
    assert client.get(URL, {"tren": "<x>"}).status_code == 200


@time_machine.travel(wib(2026, 4, 11, 12), tick=False)
def test_the_trends_add_two_queries_whatever_the_period(
    client, program, django_assert_max_num_queries
):
    rollup.rollup_daily_counts()
    client.force_login(staff_with("view_program_dashboard"))
    # The dashboard's 14 (its eligibility numbers included), the trends' counts and the
    # rollup's last run.
    for period in ("2026", "g7"):
        with django_assert_max_num_queries(16):
            assert client.get(URL, {"tren": period}).status_code == 200


def test_a_line_has_one_point_per_day_with_the_peak_on_top():
    line = charts.daily_line([0, 5, 10, 0])
    assert line["points"] == "0,96 1,50 2,4 3,96" and line["width"] == 3
    assert charts.daily_line([3])["points"] == "0,4 1,4"
    assert charts.daily_line([0, 0])["points"] == "0,96 1,96"
