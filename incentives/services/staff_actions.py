"""Staff actions on installments: retry a failure, mark one resolved."""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incentives.models import (
    Installment,
    PayoutRequest,
    Reason,
)
from incentives.services.outcomes import DisbursementSummary
from incentives.services.recovery import resolve_unknown
from participants.models import Participant, ParticipantEvent
from participants.services import record_event

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- staff actions --------------------------------------------------------------------------------


def retry_failed(*, installment_ids: list[int], actor, now: dt.datetime | None = None) -> int:
    """Staff: schedule failed installments again now (e.g. after the gateway recovered)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Installment.objects.filter(id__in=installment_ids, status=S.FAILED).values_list(
                "id", "participant_id", "reason_code"
            )
        )
        moved = Installment.objects.filter(id__in=[r[0] for r in rows], status=S.FAILED).update(
            status=S.SCHEDULED,
            reason_code="",
            next_attempt_at=now,
            batch=None,
            temporary_failures=0,
        )
        ParticipantEvent.objects.bulk_create(
            ParticipantEvent(
                participant_id=pid,
                kind=ParticipantEvent.Kind.PAYOUT,
                from_status=S.FAILED,
                to_status=S.SCHEDULED,
                reason_code="retry_by_staff",
                note=f"installment {iid} ({reason})",
                actor=actor,
                created_at=now,
            )
            for iid, pid, reason in rows
        )
    return moved


def mark_resolved(
    *, installment_ids: list[int], actor, now: dt.datetime | None = None
) -> DisbursementSummary:
    """Staff: settle unknown or stuck installments now by asking the backend about their keys
    (the same resolution the daily job does, without waiting for it)."""
    now = now or timezone.now()
    # The selected stuck claims are treated as stale at once: a staff member asked.
    stuck = Installment.objects.filter(id__in=installment_ids, status=S.PROCESSING)
    PayoutRequest.objects.filter(installment__in=stuck, status__in=[R.CREATED, R.SENT]).update(
        status=R.UNKNOWN
    )
    stuck.filter(
        Exists(PayoutRequest.objects.filter(installment=OuterRef("pk"), status=R.UNKNOWN))
    ).update(status=S.UNKNOWN, reason_code=Reason.TIMEOUT)
    summary = resolve_unknown(now=now, installment_ids=installment_ids)
    for pid in set(
        Installment.objects.filter(id__in=installment_ids).values_list("participant_id", flat=True)
    ):
        record_event(
            participant=Participant(pk=pid),
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="resolved_by_staff",
            actor=actor,
            now=now,
        )
    return summary
