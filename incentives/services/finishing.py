"""Finishing participants whose incentives are all paid."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from incentives.models import (
    Installment,
    PayoutRequest,
)
from participants.models import InvalidTransition, Participant, ParticipantEvent

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


def finish_participants(*, now: dt.datetime | None = None, chunk: int = 5000) -> int:
    """Participants whose every incentive (monthly and survey) is paid become ``finished``.

    Set-based, in chunks: one conditional UPDATE (``status = active``, so a concurrent revocation
    wins) and one bulk insert of the audit rows per chunk, in one transaction. Idempotent.
    """
    now = now or timezone.now()
    if (
        Participant.Status.FINISHED
        not in Participant.ALLOWED_TRANSITIONS[Participant.Status.ACTIVE]
    ):
        raise InvalidTransition(from_status="active", to_status="finished")
    needed = settings.INCENTIVE_MONTHS + settings.SURVEY_COUNT
    last_survey_paid = Installment.objects.filter(
        participant=OuterRef("pk"),
        kind=Installment.Kind.SURVEY,
        number=settings.SURVEY_COUNT,
        status=S.PAID,
    )
    candidates = list(
        Participant.objects.filter(status=Participant.Status.ACTIVE)
        .filter(Exists(last_survey_paid))
        .annotate(paid=Count("installments", filter=Q(installments__status=S.PAID)))
        .filter(paid__gte=needed)
        .values_list("pk", flat=True)
    )
    finished = 0
    for start in range(0, len(candidates), chunk):
        ids = candidates[start : start + chunk]
        with transaction.atomic():
            moved = list(
                Participant.objects.select_for_update()
                .filter(pk__in=ids, status=Participant.Status.ACTIVE)
                .values_list("pk", flat=True)
            )
            Participant.objects.filter(pk__in=moved).update(
                status=Participant.Status.FINISHED, finished_at=now
            )
            ParticipantEvent.objects.bulk_create(
                ParticipantEvent(
                    participant_id=pk,
                    kind=ParticipantEvent.Kind.STATUS,
                    from_status=Participant.Status.ACTIVE,
                    to_status=Participant.Status.FINISHED,
                    reason_code="all_incentives_paid",
                    created_at=now,
                )
                for pk in moved
            )
        finished += len(moved)
    return finished
