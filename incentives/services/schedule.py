"""The installment schedule: who is eligible and the set-based planning of installments."""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incentives.models import (
    Installment,
    PayoutRequest,
)
from participants.cards import deadlines
from participants.models import Participant, ParticipantEvent
from prakerja.money import rupiah
from trainings.models import Voucher

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- the schedule ---------------------------------------------------------------------------------


def _eligible_participant_ids():
    """Participants whose first training is completed, certified and reviewed, with no monthly
    installments yet (only the first training earns them)."""
    return (
        Voucher.objects.filter(
            sequence=1,
            status=Voucher.Status.COMPLETED,
            reviewed_at__isnull=False,
            participant__status__in=[Participant.Status.ACTIVE],
        )
        .exclude(certificate_number="")
        .filter(
            ~Exists(
                Installment.objects.filter(
                    participant=OuterRef("participant"), kind=Installment.Kind.MONTHLY
                )
            )
        )
        .values_list("participant_id", flat=True)
        .order_by("participant_id")
    )


def plan_installments(
    *, now: dt.datetime | None = None, chunk: int = 5000, participant_id: int | None = None
) -> int:
    """Create the monthly installments of every newly eligible participant: ``INCENTIVE_MONTHS``
    of ``INCENTIVE_MONTHLY_IDR``, the first due now (the job runs daily, so within a day of
    eligibility), the next ones a calendar month apart. Idempotent: the unique constraint on
    (participant, kind, number) and the ``NOT EXISTS`` make a second run a no-op.
    ``participant_id`` limits it to one participant (the event-driven call when a review
    completes the conditions). Returns the number of participants scheduled."""
    now = now or timezone.now()
    dues = [deadlines.add_wib_months(now, k) for k in range(settings.INCENTIVE_MONTHS)]
    amount = settings.INCENTIVE_MONTHLY_IDR
    scheduled = 0
    last_id = 0
    while True:
        eligible = _eligible_participant_ids().filter(participant_id__gt=last_id)
        if participant_id is not None:
            eligible = eligible.filter(participant_id=participant_id)
        ids = list(eligible[:chunk])
        if not ids:
            return scheduled
        last_id = ids[-1]
        Installment.objects.bulk_create(
            [
                Installment(
                    participant_id=pid,
                    kind=Installment.Kind.MONTHLY,
                    number=k + 1,
                    amount_idr=amount,
                    due_at=due,
                    next_attempt_at=due,
                    created_at=now,
                )
                for pid in ids
                for k, due in enumerate(dues)
            ],
            ignore_conflicts=True,
        )
        ParticipantEvent.objects.bulk_create(
            [
                ParticipantEvent(
                    participant_id=pid,
                    kind=ParticipantEvent.Kind.PAYOUT,
                    reason_code="schedule_created",
                    note=f"{settings.INCENTIVE_MONTHS} x {rupiah(amount)}",
                    created_at=now,
                )
                for pid in ids
            ]
        )
        scheduled += len(ids)
