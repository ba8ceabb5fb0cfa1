"""The daily disbursement job: plan, requeue, recover, resolve, batch, send, finish."""

import datetime as dt
import logging

from django.utils import timezone

from incentives.models import (
    DisbursementBatch,
    Installment,
    PayoutRequest,
)
from incentives.services.accounts import requeue_fixed_accounts
from incentives.services.batches import create_batch
from incentives.services.finishing import finish_participants
from incentives.services.outcomes import DisbursementSummary
from incentives.services.recovery import recover_stale_claims, resolve_unknown
from incentives.services.schedule import plan_installments
from incentives.services.sending import send_batch

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- disbursement ---------------------------------------------------------------------------------


def run_disbursement(
    *,
    now: dt.datetime | None = None,
    actor=None,
    batch_size: int | None = None,
    participant_id: int | None = None,
) -> DisbursementSummary:
    """The daily job (beat and ``disburse_incentives``): plan new schedules, schedule again what
    a fixed account unblocks, recover claims of dead workers, resolve unknown outcomes by asking
    the backend, group due installments into a batch and send every approved batch.
    Safe to run concurrently and to re-run."""
    now = now or timezone.now()
    summary = DisbursementSummary()
    if participant_id is None:
        summary.planned = plan_installments(now=now)
        summary.requeued = requeue_fixed_accounts(now=now)
        summary.recovered = recover_stale_claims(now=now)
    resolved = resolve_unknown(now=now, participant_id=participant_id)
    summary.add(resolved)
    summary.resolved = resolved.resolved
    batch = create_batch(now=now, actor=actor, participant_id=participant_id)
    if batch is not None:
        summary.batch_id, summary.batch_status = batch.pk, batch.status
    sendable = DisbursementBatch.objects.filter(
        status__in=[DisbursementBatch.Status.APPROVED, DisbursementBatch.Status.SENDING]
    ).order_by("id")
    if participant_id is not None:
        # A participant's own run (after fixing the account) sends only their own batch.
        sendable = sendable.filter(pk=summary.batch_id)
    for approved in sendable:
        summary.add(send_batch(batch=approved, now=now, batch_size=batch_size))
    if participant_id is None:
        summary.finished = finish_participants(now=now)
    return summary
