"""Celery adapters for incentives: take ids or an ISO instant (read by ``participants.clock``,
the rule every operator command shares), call one service, return a summary line."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from incentives import services
from participants import clock


@shared_task(ignore_result=False)
def disburse_incentives(now_iso: str | None = None) -> str:
    """The daily disbursement (beat). ``now_iso`` runs it as of another instant."""
    return services.run_disbursement(now=clock.parse_optional_instant(now_iso)).line()


@shared_task
def disburse_for_participant(participant_id: int) -> str:
    """Send one participant's due installments now (after they fixed their account)."""
    return services.run_disbursement(participant_id=participant_id).line()


@shared_task
def reconcile_payouts(day_iso: str | None = None) -> str:
    """Yesterday's (WIB) reconciliation report, or ``day_iso``'s."""
    day = clock.parse_day(day_iso) if day_iso else timezone.localdate() - dt.timedelta(days=1)
    report = services.reconcile(day=day)
    return f"reconcile day={report.day} mismatches={report.mismatch_count}"
