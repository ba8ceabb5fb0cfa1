"""A participant from completed training and review to four paid installments and three
survey incentives, moving through time."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from incentives import services
from incentives.models import FakeGatewayTransfer, Installment, PayoutAccount, Survey
from participants.models import Participant, ParticipantEvent
from tests.factories import DEFAULT_PASSWORD, make_active_participant
from tests.incentives.helpers import complete_first_training, eligible_participant

WIB = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 1, 31, 10, 0, tzinfo=WIB)


def _register_account(participant, sms_outbox, number="1234567890"):
    change = services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind=PayoutAccount.Kind.BNI,
        number=number,
        holder_name=participant.user.full_name,
    )
    code = sms_outbox[-1].text.split(": ")[1][:6]
    return services.confirm_payout_account_change(
        participant=participant, change_id=change.pk, code=code
    )


def _answers(survey: Survey) -> dict:
    return {q.text: (q.choice_list or ["baik"])[0] for q in survey.questions.all()}


@pytest.mark.django_db
def test_completed_training_leads_to_four_paid_installments_and_three_survey_incentives(
    sms_outbox,
):
    with time_machine.travel(START, tick=False) as traveller:
        participant = make_active_participant(now=START - dt.timedelta(days=20))
        complete_first_training(participant, now=START)
        _register_account(participant, sms_outbox)

        summary = services.run_disbursement()
        assert summary.planned == 1
        monthly = list(Installment.objects.filter(participant=participant, kind="monthly"))
        assert [i.number for i in monthly] == [1, 2, 3, 4]
        assert {i.amount_idr for i in monthly} == {settings.INCENTIVE_MONTHLY_IDR}
        # First due at once (within a day of eligibility), the rest a calendar month apart;
        # 31 January + 1 month is the last day of February.
        assert [timezone.localtime(i.due_at).date() for i in monthly] == [
            dt.date(2026, 1, 31),
            dt.date(2026, 2, 28),
            dt.date(2026, 3, 31),
            dt.date(2026, 4, 30),
        ]
        assert summary.paid == 1
        first = Installment.objects.get(participant=participant, kind="monthly", number=1)
        assert first.status == "paid"
        assert PayoutAccount.objects.get(participant=participant).validated_at is not None

        # Survey 1 is locked until 30 days after the first payment.
        slots = services.survey_slots(participant=participant)
        assert [s.state for s in slots] == ["locked", "locked", "locked"]
        with pytest.raises(services.SurveyNotOpen):
            services.complete_survey(
                participant=participant, survey=slots[0].survey, answers=_answers(slots[0].survey)
            )

        for month in (2, 3, 4):
            due = Installment.objects.get(participant=participant, kind="monthly", number=month)
            traveller.move_to(due.due_at - dt.timedelta(hours=1))
            services.run_disbursement()
            due.refresh_from_db()
            assert due.status == "scheduled"  # not before its due date
            traveller.move_to(due.due_at + dt.timedelta(hours=2))
            services.run_disbursement()
            due.refresh_from_db()
            assert due.status == "paid"

        for number in (1, 2, 3):
            slots = services.survey_slots(participant=participant)
            assert slots[number - 1].state == "open"
            if number < 3:
                assert slots[number].state == "locked"  # only after the previous one
            survey = slots[number - 1].survey
            services.complete_survey(
                participant=participant, survey=survey, answers=_answers(survey)
            )
            with pytest.raises(services.SurveyAlreadyCompleted):
                services.complete_survey(
                    participant=participant, survey=survey, answers=_answers(survey)
                )
            services.run_disbursement()
            traveller.shift(dt.timedelta(days=1))

    installments = Installment.objects.filter(participant=participant)
    assert installments.count() == 7
    assert set(installments.values_list("status", flat=True)) == {"paid"}
    total = sum(installments.values_list("amount_idr", flat=True))
    assert total == 4 * 600_000 + 3 * 50_000
    assert (
        sum(FakeGatewayTransfer.objects.filter(status="paid").values_list("amount_idr", flat=True))
        == total
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.FINISHED
    reasons = set(
        ParticipantEvent.objects.filter(participant=participant, kind="payout").values_list(
            "reason_code", flat=True
        )
    )
    assert {"account_registered", "schedule_created", "paid", "survey_completed"} <= reasons
    schedule = ParticipantEvent.objects.get(participant=participant, reason_code="schedule_created")
    assert schedule.note == "4 x Rp600.000"  # Indonesian money formatting in the history too


@pytest.mark.django_db
def test_schedule_waits_for_the_review_and_is_created_once():
    now = timezone.now()
    participant = make_active_participant(now=now)
    voucher = complete_first_training(participant, now=now, reviewed=False)
    assert services.plan_installments(now=now) == 0
    voucher.rating, voucher.review, voucher.reviewed_at = 4, "Baik", now
    voucher.save()
    assert services.plan_installments(now=now) == 1
    assert services.plan_installments(now=now) == 0
    assert Installment.objects.filter(participant=participant).count() == 4


@pytest.mark.django_db
def test_only_the_first_training_earns_the_incentive():
    now = timezone.now()
    participant = make_active_participant(now=now)
    complete_first_training(participant, now=now, sequence=2)
    assert services.plan_installments(now=now) == 0


@pytest.mark.django_db
def test_a_second_installment_with_the_same_number_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    now = timezone.now()
    participant = eligible_participant(now=now)
    services.plan_installments(now=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Installment.objects.create(
            participant=participant,
            kind="monthly",
            number=1,
            amount_idr=600_000,
            due_at=now,
            next_attempt_at=now,
            created_at=now,
        )


@pytest.mark.django_db
def test_a_revoked_participant_is_not_scheduled():
    now = timezone.now()
    participant = eligible_participant(now=now)
    Participant.objects.filter(pk=participant.pk).update(status="revoked")
    assert services.plan_installments(now=now) == 0
