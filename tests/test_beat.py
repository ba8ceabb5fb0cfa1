"""Celery beat keeps nothing on its host, so it can move to another: the schedule comes from the
code and each entry's last run lives in the shared database, so the one beat process can move to
another host and carry on where it was."""

import pytest
from celery import beat
from celery.schedules import crontab
from django.conf import settings
from django.contrib import admin

from prakerja.celery import app

# DatabaseScheduler commits and closes stale connections itself, as the real process does.
pytestmark = pytest.mark.django_db(transaction=True)


def beat_on(host_dir) -> beat.Scheduler:
    """The scheduler that ``celery -A prakerja beat`` (the Procfile's) builds on a host whose
    disk is ``host_dir``, where a file-based scheduler would keep its state."""
    host_dir.mkdir(exist_ok=True)
    command = app.Beat(schedule=str(host_dir / "celerybeat-schedule"))
    service = command.Service(  # as celery.apps.beat.Beat.start_scheduler builds it
        app=app,
        max_interval=command.max_interval,
        scheduler_cls=command.scheduler_cls,
        schedule_filename=command.schedule,
    )
    return service.get_scheduler()


def test_a_beat_moved_to_another_host_sees_the_last_runs_of_the_first(tmp_path):
    first = beat_on(tmp_path / "host_a")
    ran = first.reserve(first.schedule["heartbeat"])  # what beat does when it sends the task
    first.sync()
    first.close()

    second = beat_on(tmp_path / "host_b")
    entry = second.schedule["heartbeat"]
    assert entry.last_run_at == ran.last_run_at
    assert entry.total_run_count == 1
    second.close()


def test_the_database_holds_the_schedule_of_the_code(tmp_path):
    from django_celery_beat.models import PeriodicTask

    beat_on(tmp_path).close()
    rows = {task.name: task for task in PeriodicTask.objects.select_related("crontab")}
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(rows)
    assert set(rows) - set(settings.CELERY_BEAT_SCHEDULE) <= {"celery.backend_cleanup"}
    sweep = rows["sweep-deadlines"]
    assert sweep.task == "trainings.tasks.sweep_deadlines_task"
    assert (sweep.crontab.hour, sweep.crontab.minute) == ("0", "5")
    assert str(sweep.crontab.timezone) == "Asia/Jakarta"


def test_a_change_or_removal_in_the_code_reaches_the_database_at_the_next_start(
    tmp_path, monkeypatch
):
    from django_celery_beat.models import PeriodicTask

    beat_on(tmp_path).close()
    changed = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if name != "deadline-reminders"
    }
    changed["heartbeat"] = {**changed["heartbeat"], "schedule": crontab(minute="*/10")}
    monkeypatch.setitem(app.conf, "beat_schedule", changed)

    scheduler = beat_on(tmp_path)
    assert "deadline-reminders" not in scheduler.schedule
    scheduler.close()
    assert not PeriodicTask.objects.filter(name="deadline-reminders").exists()
    assert PeriodicTask.objects.get(name="heartbeat").crontab.minute == "*/10"


def test_staff_do_not_edit_schedules_in_the_admin():
    shown = [model._meta.label for model in admin.site._registry]
    assert not [label for label in shown if label.startswith("django_celery_beat.")]
