"""Finishing participants whose incentives are all paid: set-based, audited, idempotent."""

import pytest
from django.conf import settings
from django.utils import timezone

from incentives.models import Installment
from incentives.services import finish_participants
from participants import services as participant_services
from participants.models import Participant, ParticipantEvent
from tests.factories import make_active_participant

pytestmark = pytest.mark.django_db


def pay_everything(participant, *, paid: bool = True) -> None:
    now = timezone.now()
    rows = [(Installment.Kind.MONTHLY, n) for n in range(1, settings.INCENTIVE_MONTHS + 1)]
    rows += [(Installment.Kind.SURVEY, n) for n in range(1, settings.SURVEY_COUNT + 1)]
    Installment.objects.bulk_create(
        Installment(
            participant=participant,
            kind=kind,
            number=number,
            amount_idr=50_000,
            due_at=now,
            next_attempt_at=now,
            created_at=now,
            status=Installment.Status.PAID if paid else Installment.Status.SCHEDULED,
            paid_at=now if paid else None,
        )
        for kind, number in rows
    )


def test_all_paid_participants_finish_with_an_audit_row_each_and_a_rerun_changes_nothing():
    done = [make_active_participant() for _ in range(3)]
    waiting = make_active_participant()
    for participant in done:
        pay_everything(participant)
    pay_everything(waiting, paid=False)

    assert finish_participants(chunk=2) == 3
    assert set(
        Participant.objects.filter(status=Participant.Status.FINISHED).values_list("pk", flat=True)
    ) == {p.pk for p in done}
    assert Participant.objects.get(pk=waiting.pk).status == Participant.Status.ACTIVE
    events = ParticipantEvent.objects.filter(to_status=Participant.Status.FINISHED)
    assert sorted(events.values_list("participant_id", flat=True)) == sorted(p.pk for p in done)
    assert all(Participant.objects.get(pk=p.pk).finished_at for p in done)

    assert finish_participants() == 0
    assert events.count() == 3


def test_a_revoked_participant_is_never_finished():
    participant = make_active_participant()
    pay_everything(participant)
    participant_services.revoke_participation(participant=participant, reason_code="fraud")

    assert finish_participants() == 0
    assert Participant.objects.get(pk=participant.pk).status == Participant.Status.REVOKED
