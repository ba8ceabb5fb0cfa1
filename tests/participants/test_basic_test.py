"""The basic test: 18 questions per attempt, 25 minutes on the server clock, pass mark."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from participants.models import BasicTestQuestion, DomainError
from participants.registration import basic_test
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def candidate(question_bank):
    return ParticipantFactory(test_passed_at=None)


def right_answers(attempt) -> dict[str, str]:
    return {str(q.pk): q.correct_option for q in basic_test.questions_for(attempt=attempt)}


def test_an_attempt_draws_18_distinct_active_questions(candidate):
    BasicTestQuestion.objects.filter(pk=BasicTestQuestion.objects.first().pk).update(
        is_active=False
    )
    attempt = basic_test.start_attempt(participant=candidate, now=T0)
    assert len(attempt.question_ids) == 18
    assert len(set(attempt.question_ids)) == 18
    assert BasicTestQuestion.objects.first().pk not in attempt.question_ids
    assert attempt.expires_at == T0 + dt.timedelta(minutes=25)


def test_reopening_resumes_the_same_attempt(candidate):
    first = basic_test.start_attempt(participant=candidate, now=T0)
    again = basic_test.start_attempt(participant=candidate, now=T0 + dt.timedelta(minutes=10))
    assert again.pk == first.pk
    assert again.question_ids == first.question_ids


def test_all_right_answers_pass(candidate):
    attempt = basic_test.start_attempt(participant=candidate, now=T0)
    attempt = basic_test.submit_attempt(
        attempt=attempt, answers=right_answers(attempt), now=T0 + dt.timedelta(minutes=20)
    )
    assert (attempt.score, attempt.passed, attempt.late) == (100, True, False)
    candidate.refresh_from_db()
    assert candidate.test_passed_at == T0 + dt.timedelta(minutes=20)


def test_below_the_pass_mark_fails(candidate, settings):
    settings.BASIC_TEST_PASS_MARK = 60
    attempt = basic_test.start_attempt(participant=candidate, now=T0)
    answers = right_answers(attempt)
    for key in list(answers)[:8]:  # 10 of 18 right = 56
        answers[key] = "a" if answers[key] != "a" else "b"
    attempt = basic_test.submit_attempt(attempt=attempt, answers=answers, now=T0)
    assert (attempt.score, attempt.passed) == (56, False)
    candidate.refresh_from_db()
    assert candidate.test_passed_at is None


def test_submission_after_25_minutes_is_graded_as_failed(candidate):
    with time_machine.travel(T0, tick=False):
        attempt = basic_test.start_attempt(participant=candidate)
    with time_machine.travel(T0 + dt.timedelta(minutes=26), tick=False):
        attempt = basic_test.submit_attempt(attempt=attempt, answers=right_answers(attempt))
    assert (attempt.passed, attempt.late, attempt.score) == (False, True, 0)
    candidate.refresh_from_db()
    assert candidate.test_passed_at is None


def test_submission_just_inside_the_limit_counts(candidate):
    with time_machine.travel(T0, tick=False):
        attempt = basic_test.start_attempt(participant=candidate)
    with time_machine.travel(T0 + dt.timedelta(minutes=25, seconds=10), tick=False):
        attempt = basic_test.submit_attempt(attempt=attempt, answers=right_answers(attempt))
    assert attempt.passed is True


def test_a_late_page_submission_is_refused_on_the_server(client, candidate):
    client.force_login(candidate.user)
    with time_machine.travel(T0, tick=False):
        client.post(reverse("basic_test"))
    attempt = basic_test.open_attempt(participant=candidate)
    form = {f"q{pk}": option for pk, option in right_answers(attempt).items()}
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        response = client.post(reverse("basic_test_take"), form, follow=True)
    assert "Waktu tes sudah habis" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.test_passed_at is None


def test_an_attempt_is_graded_once(candidate):
    attempt = basic_test.start_attempt(participant=candidate, now=T0)
    basic_test.submit_attempt(attempt=attempt, answers={}, now=T0)
    with pytest.raises(DomainError) as exc:
        basic_test.submit_attempt(attempt=attempt, answers=right_answers(attempt), now=T0)
    assert exc.value.code == "test_submitted"


def test_retry_after_a_failure_waits_24_hours(candidate):
    attempt = basic_test.start_attempt(participant=candidate, now=T0)
    basic_test.submit_attempt(attempt=attempt, answers={}, now=T0)
    with pytest.raises(DomainError) as exc:
        basic_test.start_attempt(participant=candidate, now=T0 + dt.timedelta(hours=23))
    assert exc.value.code == "test_retry_later"
    retry = basic_test.start_attempt(participant=candidate, now=T0 + dt.timedelta(hours=24))
    assert retry.pk != attempt.pk


def test_an_abandoned_attempt_counts_as_failed(candidate):
    attempt = basic_test.start_attempt(participant=candidate, now=T0)
    with pytest.raises(DomainError) as exc:
        basic_test.start_attempt(participant=candidate, now=T0 + dt.timedelta(hours=1))
    assert exc.value.code == "test_retry_later"
    attempt.refresh_from_db()
    assert (attempt.passed, attempt.late) == (False, True)


def test_a_passed_participant_cannot_sit_again(question_bank):
    with pytest.raises(DomainError) as exc:
        basic_test.start_attempt(participant=ParticipantFactory(), now=T0)
    assert exc.value.code == "test_already_passed"


def test_a_small_bank_is_refused(db):
    with pytest.raises(DomainError) as exc:
        basic_test.start_attempt(participant=ParticipantFactory(test_passed_at=None), now=T0)
    assert exc.value.code == "question_bank_too_small"


def test_test_page_lists_18_questions_within_budget(
    client, candidate, django_assert_max_num_queries
):
    client.force_login(candidate.user)
    client.post(reverse("basic_test"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("basic_test_take"))
    body = response.content.decode()
    assert body.count("<fieldset") == 18
    assert len(response.content) < 50 * 1024
