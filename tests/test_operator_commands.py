"""Operator commands: one for every scheduled job, one ``--now`` rule, one summary line, reruns
that say ``already_ran=...``, and ``--dry-run`` that changes nothing (README, Operations)."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import (
    CommandError,
    ManagementUtility,
    call_command,
    get_commands,
    load_command_class,
)

from participants.models import Participant
from tests.trainings.sweep_helpers import participant_in, wave_21, wib
from trainings.models import DeadlineReminder, SweepRun

# Each beat entry and the operator command that runs the same service by hand.
BEAT_COMMANDS = {
    "heartbeat": "heartbeat",
    "run-due-selections": "run_due_selections",
    "sweep-deadlines": "sweep_deadlines",
    "deadline-reminders": "send_reminders",
    "expire-balances": "expire_balances",
    "incentives-disburse": "disburse_incentives",
    "incentives-reconcile": "reconcile_payouts",
    "retry-registry-checks": "retry_registry_checks",
    "recheck-eligibility": "recheck_eligibility",
    "trends-rollup": "rollup_trends",
    "registration-mail": "send_registration_mail",
    "clear-sessions": "clear_sessions",
}
# Commands of jobs that write: each offers --dry-run.
WRITING = {
    "run_due_selections",
    "run_selection",
    "sweep_deadlines",
    "send_reminders",
    "expire_balances",
    "disburse_incentives",
    "reconcile_payouts",
    "retry_registry_checks",
    "recheck_eligibility",
    "rollup_trends",
}
# Every command that takes --now (the heartbeat, the registration mail and the session cleanup
# always act on the current time).
TIMELESS = {"heartbeat", "send_registration_mail", "clear_sessions"}
TAKES_NOW = (set(BEAT_COMMANDS.values()) - TIMELESS) | {"run_selection", "seed_load"}

README = Path(settings.BASE_DIR, "README.md").read_text(encoding="utf-8")


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _parser(name: str):
    command = load_command_class(get_commands()[name], name)
    return command.create_parser("manage.py", name)


def test_every_beat_entry_has_a_command_that_help_lists_and_the_readme_documents():
    assert set(BEAT_COMMANDS) == set(settings.CELERY_BEAT_SCHEDULE), (
        "a new beat entry needs its operator command here, in the README and in manage.py help"
    )
    listed = set(re.findall(r"^\s+(\w+)$", ManagementUtility(["manage.py"]).main_help_text(), re.M))
    for command in BEAT_COMMANDS.values():
        assert command in listed, command
        assert re.search(rf"^\| `{command}\b", README, re.M), f"{command} not in the README table"


@pytest.mark.parametrize("name", sorted(TAKES_NOW))
def test_every_now_reads_a_time_without_offset_as_wib_and_says_so(name):
    parser = _parser(name)
    assert "WIB" in parser.format_help()
    required = {"run_selection": ["21"], "seed_load": ["--participants", "1"]}.get(name, [])
    options = parser.parse_args([*required, "--now", "2021-10-22T00:05"])
    assert options.now == wib(2021, 10, 22, 0, 5)
    options = parser.parse_args([*required, "--now", "2021-10-21T17:05:00Z"])
    assert options.now == wib(2021, 10, 22, 0, 5)
    with pytest.raises(CommandError):
        parser.parse_args([*required, "--now", "kemarin"])


@pytest.mark.parametrize("name", sorted(WRITING))
def test_every_writing_job_has_a_dry_run(name):
    assert "--dry-run" in _parser(name).format_help()


def test_every_job_command_is_a_job_command():
    """One shape for every job's command (``prakerja.jobs.JobCommand``: --now, --dry-run,
    the run recorded under its beat entry, one line), instead of each writing it again."""
    from prakerja.jobs import JobCommand

    for name in sorted(WRITING):
        command = load_command_class(get_commands()[name], name)
        assert isinstance(command, JobCommand), name


@pytest.mark.django_db
def test_a_sweep_rerun_says_already_ran_instead_of_repeating_the_counts():
    participant_in(wave_21())
    first = _run("sweep_deadlines", "--now", "2021-10-22T00:05")
    assert " revoked=1 " in first and "already_ran" not in first
    again = _run("sweep_deadlines", "--now", "2021-10-22T00:05")
    assert " revoked=0 forfeited_idr=0 batches=0 " in again + " "
    started = SweepRun.objects.get().started_at
    assert again.endswith(f"already_ran={started.astimezone(wib(2021, 1, 1).tzinfo).isoformat()}")


@pytest.mark.django_db
def test_a_sweep_dry_run_revokes_nobody(sms_outbox):
    person = participant_in(wave_21())
    line = _run("sweep_deadlines", "--now", "2021-10-22T00:05", "--dry-run")
    assert " revoked=1 " in line and line.endswith("dry_run=1")
    person.refresh_from_db()
    assert person.status != Participant.Status.REVOKED
    assert not SweepRun.objects.exists()


@pytest.mark.django_db
def test_send_reminders_runs_the_beat_service_once_per_day(sms_outbox):
    participant_in(wave_21())
    assert _run("send_reminders", "--now", "2021-10-14T09:00") == "send_reminders queued=1 sent=1"
    again = _run("send_reminders", "--now", "2021-10-14T10:00")
    assert again == "send_reminders queued=0 sent=0 already_ran=2021-10-14T09:00:00+07:00"
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_send_reminders_dry_run_records_nothing(sms_outbox):
    participant_in(wave_21())
    line = _run("send_reminders", "--now", "2021-10-14T09:00", "--dry-run")
    assert line == "send_reminders queued=1 sent=1 dry_run=1"
    assert not DeadlineReminder.objects.exists()
    assert _run("send_reminders", "--now", "2021-10-14T09:00") == "send_reminders queued=1 sent=1"


@pytest.mark.django_db
def test_an_expiry_rerun_says_already_ran():
    participant_in(wave_21())
    first = _run("expire_balances", "--now", "2021-12-16T00:05")
    assert first == "expire_balances expired=1 amount_idr=1000000 batches=1"
    again = _run("expire_balances", "--now", "2021-12-16T00:10")
    assert again.startswith("expire_balances expired=0 amount_idr=0 batches=0 already_ran=")


@pytest.mark.django_db
def test_due_selections_command_runs_nothing_when_nothing_is_due():
    line = _run("run_due_selections", "--now", "2021-10-22T00:05")
    assert line == "run_due_selections ran=0 waves=- selected=0"


@pytest.mark.django_db
def test_heartbeat_command_prints_the_instant():
    assert _run("heartbeat").startswith("heartbeat at=")


@pytest.mark.django_db
def test_clear_sessions_deletes_only_expired_sessions():
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=now - dt.timedelta(1))
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=now + dt.timedelta(1))
    assert _run("clear_sessions") == "clear_sessions deleted=1"
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]


@pytest.mark.django_db
def test_send_registration_mail_command_sends_what_waited():
    from django.core import mail

    from participants.models import PendingRegistrationMail
    from tests.factories import UserFactory

    UserFactory(email="a@contoh.id")
    item = '{"kind": "taken", "email": "a@contoh.id", "login_url": "/l", "reset_url": "/r"}'
    PendingRegistrationMail.objects.create(item=item)
    assert _run("send_registration_mail") == "send_registration_mail sent=1"
    assert [m.to for m in mail.outbox] == [["a@contoh.id"]]
    assert not PendingRegistrationMail.objects.exists()
