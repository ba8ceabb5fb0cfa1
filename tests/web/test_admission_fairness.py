"""The waiting room is fair and never loses a submission: an admission belongs to one browser
(a signed cookie whose token changes with every request, so copies of it are found out), a
place is not held for ever while others wait, and a form opened while admitted is accepted
when it is submitted, however long it took."""

import uuid

import pytest
from django.test import Client, override_settings

from participants.demo import seed_question_bank
from participants.registration import basic_test
from prakerja import admission
from tests.factories import ParticipantFactory
from tests.web.test_admission import Clock, _waiting

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def question_bank(db):
    return seed_question_bank()


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(admission, "_now", clock)
    return clock


def room(capacity: int, **extra):
    return override_settings(
        ADMISSION_CAPACITY=capacity,
        ADMISSION_IDLE_SECONDS=60,
        ADMISSION_WAIT_SECONDS=30,
        ADMISSION_KEY_PREFIX=f"test-ruang-tunggu:{uuid.uuid4().hex}",
        **extra,
    )


def test_one_admitted_cookie_cannot_serve_forty_clients(clock):
    with room(1):
        owner = Client()
        assert not _waiting(owner.get("/"))
        cookie = owner.cookies[admission.COOKIE].value
        served = 0
        for _ in range(40):
            copy = Client()
            copy.cookies[admission.COOKIE] = cookie  # the same cookie, another client
            served += not _waiting(copy.get("/"))
        # The token the copies carry is accepted twice at most (current, then previous): every
        # other copy waits in line like a newcomer.
        assert served <= 2
        assert _waiting(Client().get("/"))


def test_a_browser_that_keeps_its_cookie_keeps_its_place(clock):
    with room(1):
        browser = Client()
        for _ in range(10):
            clock.now += 5
            assert not _waiting(browser.get("/"))
        assert _waiting(Client().get("/"))


def test_two_requests_of_one_browser_in_flight_at_once_are_both_served(clock):
    """A page and a click sent before its answer came back carry the same token."""
    with room(1):
        browser = Client()
        browser.get("/")
        token = browser.cookies[admission.COOKIE].value
        assert not _waiting(browser.get("/"))
        late = Client()
        late.cookies[admission.COOKIE] = token  # the token the first of the two carried
        assert not _waiting(late.get("/"))


def test_a_forged_cookie_is_a_newcomer(clock):
    with room(1):
        Client().get("/")
        forged = Client()
        forged.cookies[admission.COOKIE] = "AAAAAAAAAAAAAAAAAAAAAA.1:bukan-tanda-tangan"
        assert _waiting(forged.get("/"))


def test_visitors_refreshing_every_five_seconds_cannot_hold_a_full_room(clock):
    with room(3, ADMISSION_HOLD_SECONDS=60):
        holders = [Client() for _ in range(3)]
        for holder in holders:
            holder.get("/")
        newcomer = Client()
        assert _waiting(newcomer.get("/"))
        admitted_after = None
        for step in range(1, 37):  # three minutes
            clock.now += 5
            for holder in holders:
                holder.get("/")
            if step % 2 == 0 and admitted_after is None and not _waiting(newcomer.get("/")):
                admitted_after = step * 5
        assert admitted_after is not None and admitted_after <= 60 + 10


def test_without_anyone_waiting_a_place_is_held_as_long_as_it_is_used(clock):
    with room(1, ADMISSION_HOLD_SECONDS=60):
        browser = Client()
        for _ in range(40):  # 200 s, longer than the hold
            clock.now += 5
            assert not _waiting(browser.get("/"))


def test_the_basic_test_submitted_after_the_idle_time_counts(clock, question_bank):
    participant = ParticipantFactory(test_passed_at=None)
    with room(1):
        browser = Client()
        browser.force_login(participant.user)
        assert browser.post("/tes/").status_code == 302
        page = browser.get("/tes/kerjakan/")
        assert not _waiting(page) and b"Kirim jawaban" in page.content
        attempt = basic_test.open_attempt(participant=participant)
        answers = {f"q{q.pk}": q.correct_option for q in basic_test.questions_for(attempt=attempt)}
        clock.now += 20 * 60  # answering takes 20 minutes; the place went idle long ago
        assert not _waiting(Client().get("/"))  # someone else has the place now
        response = browser.post("/tes/kerjakan/", answers)
        assert not _waiting(response)
        assert response.status_code == 302 and response["Location"] == "/dasbor/"
        attempt.refresh_from_db()
        assert (attempt.score, attempt.passed) == (100, True)


def test_a_form_pass_is_not_a_way_around_the_room(clock, question_bank):
    """The grace covers submitting what was opened, not browsing: a GET still waits."""
    participant = ParticipantFactory(test_passed_at=None)
    with room(1):
        browser = Client()
        browser.force_login(participant.user)
        browser.get("/")
        clock.now += 5 * 60
        Client().get("/")  # someone else takes the freed place
        assert _waiting(browser.get("/dasbor/"))
