"""Finishing participants whose incentives are all paid."""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from incentives.models import (
    Installment,
    PayoutRequest,
)
from participants import services as participant_services
from participants.models import Participant

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status
REASON = "all_incentives_paid"


def finish_participants(*, now: dt.datetime | None = None, chunk: int = 5000) -> int:
    """Participants whose every incentive (monthly and survey) is paid become ``finished``.

    Set-based, in chunks, through ``participants.services.transition_statuses`` (only an active
    participant may finish, so a concurrent revocation wins), each chunk one transaction with an
    audit row per participant. Idempotent.
    """
    now = now or timezone.now()
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
        finished += participant_services.transition_statuses(
            participants=Participant.objects.filter(pk__in=candidates[start : start + chunk]),
            to=Participant.Status.FINISHED,
            from_statuses=[Participant.Status.ACTIVE],
            reason_code=REASON,
            now=now,
            finished_at=now,
            updated_at=now,
        )
    return finished
