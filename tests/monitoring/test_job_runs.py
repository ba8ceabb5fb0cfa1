"""Each scheduled job's last run is recorded under its beat entry, whoever runs it (the beat task
or the operator command), with its duration and counts; a failed run is recorded as failed."""

import io

import pytest
from celery import current_app
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command

from prakerja.jobruns import counts_of
from prakerja.metrics.collector import schedule_interval_seconds
from prakerja.models import JobStatus
from tests.test_operator_commands import BEAT_COMMANDS, TAKES_NOW
from tests.trainings.sweep_helpers import participant_in, wave_21

pytestmark = pytest.mark.django_db


def _task(name: str):
    current_app.loader.import_default_modules()
    return current_app.tasks[settings.CELERY_BEAT_SCHEDULE[name]["task"]]


def test_every_beat_entry_is_listed_with_its_operator_command():
    assert set(BEAT_COMMANDS) == set(settings.CELERY_BEAT_SCHEDULE)


@pytest.mark.parametrize("entry", sorted(BEAT_COMMANDS))
def test_the_beat_task_and_the_command_record_their_runs_under_the_beat_entry(entry):
    _task(entry).apply().get()
    status = JobStatus.objects.get(job=entry)
    assert status.last_outcome == "ok" and status.runs == 1 and status.failures == 0
    assert status.last_started_at <= status.last_finished_at == status.last_success_at
    assert status.last_duration_seconds >= 0

    args = [BEAT_COMMANDS[entry]]
    if BEAT_COMMANDS[entry] in TAKES_NOW:
        args += ["--now", "2021-10-22T00:05"]
    call_command(*args, stdout=io.StringIO())
    assert JobStatus.objects.get(job=entry).runs == 2


def test_the_sweep_records_how_many_it_revoked_and_a_dry_run_records_nothing():
    wave = wave_21()
    participant_in(wave)
    participant_in(wave)
    call_command("sweep_deadlines", "--now", "2021-10-22T00:05", "--dry-run", stdout=io.StringIO())
    assert not JobStatus.objects.filter(job="sweep-deadlines").exists()
    call_command("sweep_deadlines", "--now", "2021-10-22T00:05", stdout=io.StringIO())
    status = JobStatus.objects.get(job="sweep-deadlines")
    assert status.last_counts["revoked"] == 2
    assert status.last_counts["forfeited_idr"] == 2 * settings.TRAINING_BALANCE_IDR
    assert status.last_counts["batches"] >= 1


def test_a_failed_run_is_recorded_as_failed_and_keeps_the_last_success(monkeypatch):
    task = _task("sweep-deadlines")
    task.apply().get()
    succeeded = JobStatus.objects.get(job="sweep-deadlines").last_success_at

    def broken(**kwargs):
        raise RuntimeError("database hilang")

    monkeypatch.setattr("trainings.sweep.sweep_deadlines", broken)
    with pytest.raises(RuntimeError):
        task.apply().get()
    status = JobStatus.objects.get(job="sweep-deadlines")
    assert (status.last_outcome, status.runs, status.failures) == ("failed", 1, 1)
    assert status.last_error == "RuntimeError: database hilang"
    assert status.last_success_at == succeeded
    assert status.last_finished_at > succeeded


def test_counts_come_from_a_summary_dict_or_line():
    assert counts_of({"revoked": 3, "cutoff": "2021-10-22", "ok": True}) == {"revoked": 3}
    assert counts_of("disburse_incentives: claimed=4 paid=3 failed=1 batch_status=done") == {
        "claimed": 4,
        "paid": 3,
        "failed": 1,
    }
    assert counts_of("reconcile day=2021-10-21 mismatches=0") == {"mismatches": 0}
    assert counts_of(None) == {}


def test_the_expected_interval_of_each_schedule():
    assert schedule_interval_seconds(crontab(minute="*/5")) == 300
    assert schedule_interval_seconds(crontab(hour=0, minute=5)) == 86400
    assert schedule_interval_seconds(crontab(hour=0, minute=0, day_of_month=1)) is None
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert schedule_interval_seconds(entry["schedule"]), name
