"""Celery tasks for the deadline sweep, reminders, notices and balance expiry: thin adapters.

Each takes ids or nothing, calls one service and returns a summary. Schedules live in
``CELERY_BEAT_SCHEDULE`` (settings).
"""

from celery import shared_task
from django.utils import timezone

from participants.cards import expiry
from prakerja.jobruns import recorded
from trainings import reminders, sweep


@shared_task
@recorded("sweep-deadlines")
def sweep_deadlines_task() -> dict:
    run = sweep.sweep_deadlines()
    if run is None:
        return {"skipped": "another sweep is running"}
    return {
        "cutoff": timezone.localtime(run.cutoff).isoformat(),
        "revoked": run.revoked,
        "forfeited_idr": run.forfeited_idr,
        "batches": run.batches,
    }


@shared_task
def notify_revoked_task(participant_ids: list[int]) -> int:
    # No automatic retry: a retry would send the SMS of the whole chunk again.
    return sweep.notify_revoked(participant_ids=participant_ids)


@shared_task
@recorded("deadline-reminders")
def send_deadline_reminders_task() -> dict:
    result = reminders.send_deadline_reminders()
    return {"queued": result.queued, "sent": result.sent}


@shared_task
@recorded("expire-balances")
def expire_balances_task() -> dict:
    result = expiry.expire_balances()
    return {
        "expired": result.expired,
        "amount_idr": result.amount_idr,
        "moved_to_expired": result.moved_to_expired,
    }
