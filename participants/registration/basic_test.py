"""The basic test "Tes Motivasi & Kemampuan Dasar": 18 questions drawn per attempt from the
bank, 25 minutes measured on the server clock, graded against ``BASIC_TEST_PASS_MARK``.

Retry policy: one open attempt at a time (a database constraint); an unfinished attempt is
resumed, not redrawn; after a failed attempt the next may start ``BASIC_TEST_RETRY_HOURS`` later.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import services
from participants.models import (
    BasicTestAttempt,
    BasicTestQuestion,
    DomainError,
    Participant,
    ParticipantEvent,
)

# Network latency between the browser's last second and the server receiving the form.
SUBMIT_GRACE = dt.timedelta(seconds=30)


class BasicTestError(DomainError):
    code = "basic_test_refused"


def open_attempt(*, participant: Participant) -> BasicTestAttempt | None:
    return participant.test_attempts.filter(submitted_at__isnull=True).first()


def next_attempt_at(*, participant: Participant) -> dt.datetime | None:
    """When a new attempt may start after the last graded one (``BASIC_TEST_RETRY_HOURS``
    later), or ``None`` when nothing was graded yet."""
    last = participant.test_attempts.filter(submitted_at__isnull=False).first()
    if last is None:
        return None
    return last.submitted_at + dt.timedelta(hours=settings.BASIC_TEST_RETRY_HOURS)


def start_attempt(*, participant: Participant, now=None) -> BasicTestAttempt:
    """Return the open attempt or start a new one with a fresh random draw.

    Raises ``declarations_required``, ``test_already_passed``, ``test_retry_later``,
    ``question_bank_too_small``.
    """
    now = now or timezone.now()
    if participant.declared_at is None:
        raise BasicTestError(
            _("Isi Pernyataan Pendaftar terlebih dahulu."), code="declarations_required"
        )
    if participant.test_passed_at is not None:
        raise BasicTestError(_("Anda sudah lulus tes ini."), code="test_already_passed")
    current = open_attempt(participant=participant)
    if current is not None:
        if now <= current.expires_at + SUBMIT_GRACE:
            return current
        # Abandoned past its time: graded as failed before a new one may start.
        current = submit_attempt(attempt=current, answers={}, now=now)
    retry_at = next_attempt_at(participant=participant)
    if retry_at is not None and now < retry_at:
        raise BasicTestError(
            _("Anda dapat mengulang tes mulai %(when)s WIB.")
            % {"when": timezone.localtime(retry_at).strftime("%d-%m-%Y %H:%M")},
            code="test_retry_later",
            retry_at=retry_at,
        )
    ids = list(BasicTestQuestion.objects.filter(is_active=True).values_list("pk", flat=True))
    count = settings.BASIC_TEST_QUESTIONS
    if len(ids) < count:
        raise BasicTestError(
            _("Bank soal belum siap. Silakan coba lagi nanti."), code="question_bank_too_small"
        )
    drawn = secrets.SystemRandom().sample(ids, count)
    try:
        with transaction.atomic():
            return BasicTestAttempt.objects.create(
                participant=participant,
                question_ids=drawn,
                started_at=now,
                expires_at=now + dt.timedelta(minutes=settings.BASIC_TEST_MINUTES),
            )
    except IntegrityError:
        # A second tab started one at the same moment: use that one.
        return open_attempt(participant=participant)


def questions_for(*, attempt: BasicTestAttempt) -> list[BasicTestQuestion]:
    by_id = BasicTestQuestion.objects.in_bulk(attempt.question_ids)
    return [by_id[pk] for pk in attempt.question_ids if pk in by_id]


def submit_attempt(*, attempt: BasicTestAttempt, answers: dict[str, str], now=None):
    """Grade the attempt once. A submission after the time limit (plus a short grace for the
    network) is recorded as late and failed whatever its answers. Raises ``test_submitted``."""
    now = now or timezone.now()
    late = now > attempt.expires_at + SUBMIT_GRACE
    questions = questions_for(attempt=attempt)
    kept = {str(q.pk): answers.get(str(q.pk), "") for q in questions}
    correct = sum(1 for q in questions if kept[str(q.pk)] == q.correct_option)
    score = 0 if late else round(100 * correct / max(len(attempt.question_ids), 1))
    passed = not late and score >= settings.BASIC_TEST_PASS_MARK
    with transaction.atomic():
        updated = BasicTestAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            answers=kept, submitted_at=now, score=score, passed=passed, late=late
        )
        if not updated:
            raise BasicTestError(_("Jawaban tes ini sudah dikirim."), code="test_submitted")
        if passed:
            Participant.objects.filter(pk=attempt.participant_id).update(test_passed_at=now)
        services.record_event(
            participant=attempt.participant,
            kind=ParticipantEvent.Kind.PROFILE,
            reason_code="basic_test_passed" if passed else "basic_test_failed",
            note=f"score={score} late={late}",
            now=now,
        )
    attempt.refresh_from_db()
    return attempt
