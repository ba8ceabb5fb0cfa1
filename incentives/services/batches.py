"""Payout batches: grouping due installments, approval and rejection (four eyes)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from incentives.models import (
    DisbursementBatch,
    Installment,
    PayoutRequest,
)
from incentives.services.errors import CheckerIsMaker
from participants.models import InvalidTransition

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


def create_batch(
    *, now: dt.datetime | None = None, actor=None, participant_id: int | None = None
) -> DisbursementBatch | None:
    """Group every due, unbatched scheduled installment into a new batch (one UPDATE). A batch
    whose total is above ``PAYOUT_APPROVAL_THRESHOLD_IDR`` waits for approval; others are
    approved at once. Returns ``None`` when nothing is due."""
    now = now or timezone.now()
    due = Installment.objects.filter(
        status=S.SCHEDULED, next_attempt_at__lte=now, batch__isnull=True
    )
    if participant_id is not None:
        due = due.filter(participant_id=participant_id)
    with transaction.atomic():
        batch = DisbursementBatch.objects.create(
            status=DisbursementBatch.Status.PENDING_APPROVAL, created_at=now, created_by=actor
        )
        count = due.update(batch=batch)
        if not count:
            batch.delete()
            return None
        total = Installment.objects.filter(batch=batch).aggregate(t=Sum("amount_idr"))["t"] or 0
        batch.installment_count, batch.total_idr = count, total
        if total <= settings.PAYOUT_APPROVAL_THRESHOLD_IDR:
            batch.status = DisbursementBatch.Status.APPROVED
            batch.approved_at = now
        batch.save()
    return batch


def approve_batch(
    *, batch: DisbursementBatch, actor, now: dt.datetime | None = None
) -> DisbursementBatch:
    """The checker's approval of a batch above the threshold. The approver must be another staff
    member than the one who made the batch (also a database constraint).

    Raises :class:`CheckerIsMaker` or :class:`InvalidTransition`."""
    now = now or timezone.now()
    if batch.created_by_id is not None and batch.created_by_id == actor.pk:
        raise CheckerIsMaker()
    updated = DisbursementBatch.objects.filter(
        pk=batch.pk, status=DisbursementBatch.Status.PENDING_APPROVAL
    ).update(status=DisbursementBatch.Status.APPROVED, approved_by=actor, approved_at=now)
    if not updated:
        raise InvalidTransition()
    batch.refresh_from_db()
    return batch


def reject_batch(*, batch: DisbursementBatch, actor, now: dt.datetime | None = None) -> int:
    """Reject a batch waiting for approval; its installments go back to the pool."""
    with transaction.atomic():
        updated = DisbursementBatch.objects.filter(
            pk=batch.pk, status=DisbursementBatch.Status.PENDING_APPROVAL
        ).update(status=DisbursementBatch.Status.REJECTED, approved_by=actor, finished_at=now)
        if not updated:
            raise InvalidTransition()
        return Installment.objects.filter(batch=batch, status=S.SCHEDULED).update(batch=None)
