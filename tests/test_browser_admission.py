"""With the waiting room on, a participant who answers the basic test for longer than the idle
time, while someone else takes the freed place, still has the answers counted when pressing
"Kirim jawaban" (headless Chromium at 360 x 740)."""

import time
import uuid

import pytest
import requests

from participants.demo import seed_question_bank
from participants.models import BasicTestAttempt
from participants.registration import basic_test
from tests.browser_checks import login
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_the_basic_test_sent_after_the_idle_time_counts_with_the_waiting_room_on(
    page, live_server, settings
):
    settings.ADMISSION_CAPACITY = 1
    settings.ADMISSION_IDLE_SECONDS = 2
    settings.ADMISSION_REFRESH_SECONDS = 1
    settings.ADMISSION_KEY_PREFIX = f"test-ruang-tunggu:{uuid.uuid4().hex}"
    seed_question_bank()
    participant = ParticipantFactory(test_passed_at=None)
    base = live_server.url

    login(page, base, participant.user.email, DEFAULT_PASSWORD)
    page.goto(base + "/tes/")
    page.get_by_role("button", name="Mulai tes").click()
    page.wait_for_url("**/tes/kerjakan/")
    attempt = BasicTestAttempt.objects.get(participant=participant, submitted_at__isnull=True)
    for question in basic_test.questions_for(attempt=attempt):
        page.check(f'input[name="q{question.pk}"][value="{question.correct_option}"]')

    time.sleep(settings.ADMISSION_IDLE_SECONDS + 1)  # the place is freed while answering
    someone = requests.get(base + "/", timeout=10)
    assert "Ruang tunggu" not in someone.text  # and someone else takes it

    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_load_state()
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (100, True)
    # The page after it waits its turn like any other, then shows the result.
    page.wait_for_url("**/dasbor/")
    page.get_by_text("Selamat, Anda lulus tes dengan nilai 100").wait_for(timeout=15_000)
