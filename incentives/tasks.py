"""Celery adapters for incentives: take ids or an ISO instant (read by ``prakerja.clock``,
the rule every operator command shares), call one service, return a summary line."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from incentives import notifications, services
from prakerja import clock
from prakerja.jobruns import recorded


@shared_task(ignore_result=False)
@recorded("incentives-disburse")
def disburse_incentives(now_iso: str | None = None) -> str:
    """The daily disbursement (beat). ``now_iso`` runs it as of another instant."""
    return services.run_disbursement(now=clock.parse_optional_instant(now_iso)).line()


@shared_task
def disburse_for_participant(participant_id: int) -> str:
    """Send one participant's due installments now (after they fixed their account)."""
    return services.run_disbursement(participant_id=participant_id).line()


@shared_task
@recorded("incentives-reconcile")
def reconcile_payouts(day_iso: str | None = None) -> str:
    """Yesterday's (WIB) reconciliation report, or ``day_iso``'s."""
    day = clock.parse_day(day_iso) if day_iso else timezone.localdate() - dt.timedelta(days=1)
    report = services.reconcile(day=day)
    return (
        f"reconcile day={report.day} portal_paid={report.portal_paid_count} "
        f"backend_paid={report.backend_paid_count} mismatches={report.mismatch_count}"
    )


@shared_task
def send_disbursement_batch(batch_id: int) -> str:
    """Send one approved batch now (enqueued when the second staff member approves it)."""
    return services.send_approved_batch(batch_id=batch_id).line()


@shared_task
def notify_payouts(installment_ids: list[int]) -> str:
    """SMS and email to participants whose installments were just paid or failed (once each)."""
    counts = notifications.send_payout_notices(installment_ids=installment_ids)
    return " ".join(f"{k}={v}" for k, v in counts.items())


# Enqueued by name from ``trainings`` (which must not import incentives) when a review completes
# the first training's conditions: the schedule appears at once, not only after the nightly job.
@shared_task(name="incentives.plan_for_participant")
def plan_for_participant(participant_id: int) -> str:
    """Make the participant's incentive schedule now if its conditions are met."""
    return f"planned={services.plan_installments(participant_id=participant_id)}"
