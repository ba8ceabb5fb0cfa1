"""Scheduling the sweep: the beat entry in WIB, a real worker and beat on Redis, the command."""

import datetime as dt
import io
import time

import pytest
import time_machine
from celery.beat import EmbeddedService
from django.core.management import CommandError, call_command
from django.utils import timezone

from participants.models import Participant
from prakerja.celery import app
from tests.trainings.sweep_helpers import participant_in, wave_21, wave_announced, wib
from trainings.models import SweepRun

UTC = dt.UTC


def _next_run(name: str, now: dt.datetime) -> dt.datetime:
    schedule = app.conf.beat_schedule[name]["schedule"]
    with time_machine.travel(now, tick=False):
        schedule = type(schedule)(
            minute=schedule._orig_minute,
            hour=schedule._orig_hour,
            day_of_month=schedule._orig_day_of_month,
            month_of_year=schedule._orig_month_of_year,
            day_of_week=schedule._orig_day_of_week,
            app=app,
        )
        return (now + schedule.remaining_estimate(now)).astimezone(UTC)


def test_the_sweep_runs_at_00_05_wib_which_is_17_05_utc_the_day_before():
    assert app.conf.timezone == "Asia/Jakarta"
    entry = app.conf.beat_schedule["sweep-deadlines"]
    assert entry["task"] == "trainings.tasks.sweep_deadlines_task"
    now = dt.datetime(2021, 10, 21, 12, 0, tzinfo=UTC)  # 19:00 WIB on 21 October
    assert _next_run("sweep-deadlines", now) == dt.datetime(2021, 10, 21, 17, 5, tzinfo=UTC)
    # Right after a run, the next one is a day later.
    after = dt.datetime(2021, 10, 21, 17, 6, tzinfo=UTC)
    assert _next_run("sweep-deadlines", after) == dt.datetime(2021, 10, 22, 17, 5, tzinfo=UTC)


def test_reminders_and_expiry_are_scheduled_too():
    now = dt.datetime(2021, 12, 15, 12, 0, tzinfo=UTC)
    assert _next_run("deadline-reminders", now) == dt.datetime(2021, 12, 16, 2, 0, tzinfo=UTC)
    # 16 December 00:20 WIB: the first run after the 15 December 23:59:59 WIB expiry.
    assert _next_run("expire-balances", now) == dt.datetime(2021, 12, 15, 17, 20, tzinfo=UTC)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_on_redis_run_the_scheduled_sweep(real_worker, tmp_path):
    now = timezone.now()
    wave = wave_announced(90, now - dt.timedelta(days=40))
    late = participant_in(wave)
    schedule = app.conf.beat_schedule
    app.conf.beat_schedule = {
        "sweep-deadlines": {"task": "trainings.tasks.sweep_deadlines_task", "schedule": 1.0}
    }
    beat = EmbeddedService(
        app, schedule_filename=str(tmp_path / "beat-schedule"), max_interval=1, thread=True
    )
    beat.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            late.refresh_from_db()
            if late.status == Participant.Status.REVOKED and SweepRun.objects.exists():
                break
            time.sleep(0.2)
    finally:
        beat.stop()
        app.conf.beat_schedule = schedule
    assert late.status == Participant.Status.REVOKED
    assert late.revoke_reason == "no_first_purchase"
    run = SweepRun.objects.order_by("cutoff").first()
    assert run.revoked == 1


@pytest.mark.django_db
def test_the_command_prints_one_summary_line_for_the_given_cutoff():
    participant_in(wave_21())
    out = io.StringIO()
    call_command("sweep_deadlines", "--now", "2021-10-22T00:05:00+07:00", stdout=out)
    line = out.getvalue().strip()
    assert line == (
        "sweep_deadlines cutoff=2021-10-22T00:05:00+07:00 revoked=1 forfeited_idr=1000000 batches=1"
    )
    assert SweepRun.objects.get().cutoff == wib(2021, 10, 22, 0, 5)


@pytest.mark.django_db
def test_the_command_reads_a_time_without_offset_as_wib():
    out = io.StringIO()
    call_command("sweep_deadlines", "--now", "2021-10-22T00:05:00", stdout=out)
    assert SweepRun.objects.get().cutoff == wib(2021, 10, 22, 0, 5)


@pytest.mark.django_db
def test_the_command_fails_on_a_bad_instant():
    with pytest.raises(CommandError):
        call_command("sweep_deadlines", "--now", "kemarin")


@pytest.mark.django_db
def test_the_command_fails_when_another_sweep_holds_the_lock(monkeypatch):
    from trainings import sweep

    monkeypatch.setattr(sweep, "sweep_deadlines", lambda **kwargs: None)
    with pytest.raises(CommandError):
        call_command("sweep_deadlines")


@pytest.mark.django_db
def test_the_task_is_a_thin_wrapper_over_the_service():
    from trainings.tasks import sweep_deadlines_task

    participant_in(wave_21())
    with time_machine.travel(wib(2021, 10, 22, 0, 5), tick=False):
        result = sweep_deadlines_task.delay().get()
    assert result == {
        "cutoff": "2021-10-22T00:05:00+07:00",
        "revoked": 1,
        "forfeited_idr": 1_000_000,
        "batches": 1,
    }
