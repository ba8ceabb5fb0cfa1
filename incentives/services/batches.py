"""Payout batches: grouping due installments and the four-eyes rule on money: no one person sends a
large sum alone.

A batch whose total is above ``PAYOUT_APPROVAL_THRESHOLD_IDR`` needs two different people: one
who submits it (for a batch the nightly job made, the staff member who takes responsibility for
it) and one who approves it. The same person can never do both (checked here and by a database
constraint). Once approved, the batch is sent at once by a worker, enqueued after commit. Every
step writes a :class:`DisbursementBatchEvent` in the same transaction.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from incentives.models import (
    DisbursementBatch,
    DisbursementBatchEvent,
    Installment,
    PayoutRequest,
)
from incentives.services.errors import CheckerIsMaker
from participants import selectors
from participants.models import InvalidTransition
from prakerja.jobs import enqueue_on_commit

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status
B = DisbursementBatch.Status
E = DisbursementBatchEvent.Action


def _audit(*, batch_id: int, action: str, actor=None, now: dt.datetime, note: str = "") -> None:
    DisbursementBatchEvent.objects.create(
        batch_id=batch_id, action=action, actor=actor, created_at=now, note=note[:300]
    )


def create_batch(
    *, now: dt.datetime | None = None, actor=None, participant_id: int | None = None
) -> DisbursementBatch | None:
    """Group every due, unbatched scheduled installment into a new batch (one UPDATE). At or
    below ``PAYOUT_APPROVAL_THRESHOLD_IDR`` it is approved at once; above, it waits: for a
    submitter when the job made it (``actor`` None), for a second staff member when a staff
    member made it (the maker is its submitter). Returns ``None`` when nothing is due."""
    now = now or timezone.now()
    # Payouts to someone under eligibility review wait (participants.selectors).
    due = Installment.objects.filter(
        status=S.SCHEDULED, next_attempt_at__lte=now, batch__isnull=True
    ).exclude(participant_id__in=selectors.payouts_on_hold())
    if participant_id is not None:
        due = due.filter(participant_id=participant_id)
    with transaction.atomic():
        batch = DisbursementBatch.objects.create(
            status=B.AWAITING_SUBMISSION, created_at=now, created_by=actor
        )
        count = due.update(batch=batch)
        if not count:
            batch.delete()
            return None
        total = Installment.objects.filter(batch=batch).aggregate(t=Sum("amount_idr"))["t"] or 0
        batch.installment_count, batch.total_idr = count, total
        _audit(batch_id=batch.pk, action=E.CREATED, actor=actor, now=now)
        if total <= settings.PAYOUT_APPROVAL_THRESHOLD_IDR:
            batch.status = B.APPROVED
            batch.approved_at = now
            _audit(batch_id=batch.pk, action=E.APPROVED, now=now, note="below_threshold")
        elif actor is not None:
            batch.status = B.PENDING_APPROVAL
            batch.submitted_by, batch.submitted_at = actor, now
            _audit(batch_id=batch.pk, action=E.SUBMITTED, actor=actor, now=now)
        batch.save()
    return batch


def submit_batch(
    *, batch: DisbursementBatch, actor, now: dt.datetime | None = None
) -> DisbursementBatch:
    """A staff member takes responsibility for a batch the job made and submits it for
    approval by someone else.

    Raises :class:`InvalidTransition` when the batch is not waiting for a submitter."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = DisbursementBatch.objects.filter(
            pk=batch.pk, status=B.AWAITING_SUBMISSION
        ).update(status=B.PENDING_APPROVAL, submitted_by=actor, submitted_at=now)
        if not updated:
            raise InvalidTransition()
        _audit(batch_id=batch.pk, action=E.SUBMITTED, actor=actor, now=now)
    batch.refresh_from_db()
    return batch


def approve_batch(
    *, batch: DisbursementBatch, actor, now: dt.datetime | None = None
) -> DisbursementBatch:
    """The second pair of eyes: approve a submitted batch, then have a worker send it at once
    (enqueued after commit; the nightly run would also pick it up).

    Raises :class:`CheckerIsMaker` when ``actor`` made or submitted the batch, or
    :class:`InvalidTransition` when it is not waiting for approval."""
    now = now or timezone.now()
    if actor.pk in (batch.created_by_id, batch.submitted_by_id):
        raise CheckerIsMaker()
    with transaction.atomic():
        updated = (
            DisbursementBatch.objects.filter(pk=batch.pk, status=B.PENDING_APPROVAL)
            .exclude(submitted_by=actor)
            .exclude(created_by=actor)
            .update(status=B.APPROVED, approved_by=actor, approved_at=now)
        )
        if not updated:
            raise InvalidTransition()
        _audit(batch_id=batch.pk, action=E.APPROVED, actor=actor, now=now)
        enqueue_on_commit("incentives.tasks.send_disbursement_batch", batch.pk)
    batch.refresh_from_db()
    return batch


def reject_batch(*, batch: DisbursementBatch, actor, now: dt.datetime | None = None) -> int:
    """Reject a batch waiting for a submitter or an approver; its installments go back to the
    pool (the next run batches them again). Returns how many went back.

    Raises :class:`InvalidTransition` when the batch is past approval."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = DisbursementBatch.objects.filter(
            pk=batch.pk, status__in=[B.AWAITING_SUBMISSION, B.PENDING_APPROVAL]
        ).update(status=B.REJECTED, rejected_by=actor, finished_at=now)
        if not updated:
            raise InvalidTransition()
        _audit(batch_id=batch.pk, action=E.REJECTED, actor=actor, now=now)
        return Installment.objects.filter(batch=batch, status=S.SCHEDULED).update(batch=None)
