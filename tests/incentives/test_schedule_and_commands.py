"""Beat entries and the operator commands around disbursement."""

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from incentives import services, tasks
from incentives.models import ReconciliationReport
from participants.cards import deadlines
from tests.incentives.helpers import eligible_participant


def test_disbursement_and_reconciliation_are_scheduled_daily_in_wib():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["incentives-disburse"]["task"] == "incentives.tasks.disburse_incentives"
    assert schedule["incentives-disburse"]["schedule"] == crontab(hour=1, minute=30)
    assert schedule["incentives-reconcile"]["task"] == "incentives.tasks.reconcile_payouts"


def test_months_are_added_in_wib_calendar_months():
    wib = deadlines.WIB
    start = dt.datetime(2026, 1, 31, 23, 30, tzinfo=wib)
    assert deadlines.add_wib_months(start, 1) == dt.datetime(2026, 2, 28, 23, 30, tzinfo=wib)
    assert deadlines.add_wib_months(start, 11) == dt.datetime(2026, 12, 31, 23, 30, tzinfo=wib)
    assert deadlines.add_wib_months(start, 13) == dt.datetime(2027, 2, 28, 23, 30, tzinfo=wib)


@pytest.mark.django_db
def test_the_disburse_task_runs_the_service_as_of_the_given_instant():
    now = timezone.now()
    eligible_participant(now=now)
    line = tasks.disburse_incentives.delay(now.isoformat()).get()
    assert "planned=1" in line and "paid=1" in line


@pytest.mark.django_db
def test_reconcile_payouts_command_writes_the_days_report(capsys):
    now = timezone.now()
    eligible_participant(now=now)
    services.run_disbursement(now=now)
    day = timezone.localdate(now)
    call_command("reconcile_payouts", "--day", day.isoformat())
    out = capsys.readouterr().out
    assert out.strip() == (
        f"reconcile_payouts: day={day} portal_paid=1 backend_paid=1 mismatches=0"
    )
    assert ReconciliationReport.objects.get(day=day).portal_paid_idr == 600_000
