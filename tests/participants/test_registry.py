"""The civil-registry (Dukcapil) check of NIK + KK + name + birth date at the identity step:
every answer of the fake and the http backend, the audit rows, and the retries of a check the
registry could not answer (docs/eligibility.md, "The civil registry")."""

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pybreaker
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant, ParticipantEvent, RegistryCheck
from participants.registration import registry, steps
from participants.services import registry_checks
from tests.factories import make_nik

from .conftest import BIRTH, identity_kwargs

pytestmark = pytest.mark.django_db


def nik_with(serial: int) -> str:
    return make_nik(birth_date=BIRTH, gender="M", serial=serial)


def query(serial: int = 77, **overrides) -> registry.Query:
    data = {"nik": nik_with(serial), "kk": "3201010101010001", "name": "Rudi", "birth_date": BIRTH}
    data.update(overrides)
    return registry.Query(**data)


# --- the fake backend -------------------------------------------------------------------------


def test_fake_registry_matches_an_ordinary_nik():
    assert registry.verify_identity(query=query(77)) == registry.Answer(registry.MATCH)


@pytest.mark.parametrize(
    ("serial", "field"),
    [(991, "kk"), (992, "name"), (993, "birth_date"), (994, "nik")],
)
def test_fake_registry_names_the_field_that_differs(serial, field):
    answer = registry.verify_identity(query=query(serial))
    assert (answer.result, answer.field) == (registry.MISMATCH, field)


def test_fake_registry_outage_never_answers():
    for attempt in (1, 2, 10):
        answer = registry.verify_identity(query=query(995), attempt=attempt)
        assert answer.result == registry.UNAVAILABLE


def test_fake_registry_recovers_after_two_attempts():
    results = [registry.verify_identity(query=query(996), attempt=n).result for n in (1, 2, 3)]
    assert results == [registry.UNAVAILABLE, registry.UNAVAILABLE, registry.MATCH]


def test_fake_slow_answer_within_the_timeout_is_a_match(settings):
    settings.REGISTRY_FAKE_SLOW_SECONDS = 0.05
    settings.REGISTRY_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    assert registry.verify_identity(query=query(997)).result == registry.MATCH
    assert time.monotonic() - started >= 0.05


def test_fake_slow_answer_past_the_timeout_is_unavailable(settings):
    settings.REGISTRY_FAKE_SLOW_SECONDS = 5
    settings.REGISTRY_TIMEOUT_SECONDS = 0.05
    started = time.monotonic()
    answer = registry.verify_identity(query=query(997))
    assert (answer.result, answer.detail) == (registry.UNAVAILABLE, "timeout")
    assert time.monotonic() - started < 1


# --- the http backend, against a registry served over real HTTP --------------------------------


class FakeRegistryServer:
    """A registry on a local port: answers with ``replies`` in turn (status, body, delay)."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                owner.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers["Authorization"],
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status, body, delay = owner.replies.pop(0) if owner.replies else (200, {}, 0)
                time.sleep(delay)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a reply the client gave up on is not waited for
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_registry(settings):
    settings.REGISTRY_BACKEND = "http"
    settings.REGISTRY_HTTP_TOKEN = "registry-token"
    settings.REGISTRY_TIMEOUT_SECONDS = 0.3
    settings.REGISTRY_HTTP_RETRIES = 2
    settings.REGISTRY_HTTP_RETRY_PAUSE_SECONDS = 0.01
    settings.REGISTRY_BREAKER_FAILURES = 3
    settings.REGISTRY_BREAKER_RESET_SECONDS = 60
    # Each test its own breaker state (memory, not the shared Redis one).
    settings.REDIS_URL = ""
    registry._breakers.clear()

    def serve(*replies):
        server = FakeRegistryServer(replies)
        settings.REGISTRY_HTTP_URL = server.url
        return server

    yield serve
    registry._breakers.clear()


def test_http_registry_match_sends_the_four_fields_with_the_token(http_registry):
    with http_registry((200, {"result": "match"}, 0)) as server:
        answer = registry.verify_identity(query=query(77, name="Rudi Hartono"))
    assert answer == registry.Answer(registry.MATCH)
    assert server.requests == [
        {
            "path": "/v1/verify",
            "auth": "Bearer registry-token",
            "body": {
                "nik": nik_with(77),
                "kk": "3201010101010001",
                "name": "Rudi Hartono",
                "birth_date": "1995-06-15",
            },
        }
    ]


def test_http_registry_mismatch_names_the_field(http_registry):
    with http_registry((200, {"result": "mismatch", "field": "kk"}, 0)):
        answer = registry.verify_identity(query=query())
    assert (answer.result, answer.field) == (registry.MISMATCH, "kk")


def test_http_registry_server_error_is_retried_then_answered(http_registry):
    replies = [(503, {}, 0), (200, {"result": "match"}, 0)]
    with http_registry(*replies) as server:
        assert registry.verify_identity(query=query()).result == registry.MATCH
    assert len(server.requests) == 2


def test_http_registry_slow_answer_times_out_as_unavailable(http_registry):
    slow = (200, {"result": "match"}, 1.0)
    with http_registry(slow, slow, slow) as server:
        answer = registry.verify_identity(query=query())
    assert (answer.result, answer.detail) == (registry.UNAVAILABLE, "timeout")
    assert len(server.requests) == 3  # the first try and two retries


def test_http_registry_circuit_opens_and_then_refuses_without_calling(http_registry):
    with http_registry(*[(503, {}, 0)] * 10) as server:
        first = registry.verify_identity(query=query())  # 3 failures in a row: open
        second = registry.verify_identity(query=query())
    assert first.result == second.result == registry.UNAVAILABLE
    assert second.detail == "circuit_open"
    assert len(server.requests) == 3
    assert registry.breaker().current_state == pybreaker.STATE_OPEN


def test_http_registry_circuit_closes_after_a_good_trial_call(http_registry):
    with http_registry(*[(503, {}, 0)] * 3, (200, {"result": "match"}, 0)) as server:
        registry.verify_identity(query=query())
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
            assert registry.verify_identity(query=query()).result == registry.MATCH
    assert len(server.requests) == 4
    assert registry.breaker().current_state == pybreaker.STATE_CLOSED


def test_http_registry_unreachable_is_unavailable(http_registry, settings):
    http_registry()
    settings.REGISTRY_HTTP_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    assert registry.verify_identity(query=query()).result == registry.UNAVAILABLE


# --- at the identity step -----------------------------------------------------------------------


def test_a_match_verifies_the_identity_and_is_audited(areas, new_user):
    participant = steps.submit_identity(participant=new_user.participant, **identity_kwargs())
    assert participant.registry_status == Participant.RegistryStatus.MATCH
    assert participant.registry_checked_at is not None
    check = RegistryCheck.objects.get(participant=participant)
    assert (check.result, check.field, check.backend, check.attempt) == ("match", "", "fake", 1)


@pytest.mark.parametrize(
    ("serial", "code", "field"),
    [
        (991, "registry_kk_mismatch", "kk"),
        (992, "registry_name_mismatch", "name"),
        (993, "registry_birth_date_mismatch", "birth_date"),
        (994, "registry_nik_not_found", "nik"),
    ],
)
def test_a_mismatch_refuses_the_identity_and_names_the_field(areas, new_user, serial, code, field):
    with pytest.raises(registry_checks.RegistryMismatch) as exc:
        steps.submit_identity(
            participant=new_user.participant, **identity_kwargs(nik=nik_with(serial))
        )
    assert exc.value.code == code
    participant = Participant.objects.get(pk=new_user.participant.pk)
    assert participant.identity_verified_at is None
    assert participant.nik_hash is None
    check = RegistryCheck.objects.get(participant=participant)
    assert (check.result, check.field, check.attempt) == ("mismatch", field, 1)


def test_the_audit_row_keeps_no_personal_data(areas, new_user):
    data = identity_kwargs(nik=nik_with(991))
    with pytest.raises(registry_checks.RegistryMismatch):
        steps.submit_identity(participant=new_user.participant, **data)
    row = RegistryCheck.objects.values().get()
    text = json.dumps(row, default=str)
    assert data["nik"] not in text and data["kk"] not in text
    assert "Rudi" not in text and "1995" not in text.replace(str(row["checked_at"]), "")


def test_an_outage_keeps_the_identity_and_waits_for_the_registry(areas, new_user):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        participant = steps.submit_identity(
            participant=new_user.participant, **identity_kwargs(nik=nik_with(995))
        )
    assert participant.identity_verified_at is not None
    assert participant.registry_status == Participant.RegistryStatus.PENDING
    assert participant.registry_next_check_at == now + dt.timedelta(seconds=60)
    check = RegistryCheck.objects.get(participant=participant)
    assert (check.result, check.detail) == ("unavailable", "outage")


def test_a_retry_succeeds_later_with_backoff(areas, new_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        steps.submit_identity(
            participant=new_user.participant, **identity_kwargs(nik=nik_with(996))
        )
    # Not due yet: nothing is asked.
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert registry_checks.retry_due_checks().asked == 0
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert registry_checks.retry_due_checks().asked == 1  # attempt 2: still unavailable
    participant = Participant.objects.get(pk=new_user.participant.pk)
    assert participant.registry_status == "pending"
    assert participant.registry_next_check_at == start + dt.timedelta(seconds=61 + 120)
    with time_machine.travel(start + dt.timedelta(seconds=61 + 121), tick=False):
        summary = registry_checks.retry_due_checks()
    assert (summary.asked, summary.matched) == (1, 1)
    participant.refresh_from_db()
    assert participant.registry_status == "match"
    assert participant.registry_next_check_at is None
    assert list(
        RegistryCheck.objects.filter(participant=participant)
        .order_by("attempt")
        .values_list("attempt", "result")
    ) == [(1, "unavailable"), (2, "unavailable"), (3, "match")]
    assert ParticipantEvent.objects.filter(
        participant=participant, kind="eligibility", reason_code="registry_match"
    ).exists()


def test_the_backoff_is_capped(settings):
    settings.REGISTRY_RETRY_BASE_SECONDS = 60
    settings.REGISTRY_RETRY_MAX_SECONDS = 3600
    delays = [registry_checks.backoff_seconds(n) for n in (1, 2, 3, 7, 30)]
    assert delays == [60, 120, 240, 3600, 3600]


def test_a_retry_that_finds_a_mismatch_reopens_the_identity_step(
    areas, new_user, client, monkeypatch
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        steps.submit_identity(
            participant=new_user.participant, **identity_kwargs(nik=nik_with(995))
        )
    # The registry comes back and says the KK differs.
    monkeypatch.setitem(registry.FAKE_SERIALS, "0995", registry.Answer(registry.MISMATCH, "kk"))
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        summary = registry_checks.retry_due_checks()
    assert summary.mismatched == 1
    participant = Participant.objects.get(pk=new_user.participant.pk)
    assert (participant.registry_status, participant.registry_field) == ("mismatch", "kk")
    assert participant.registry_next_check_at is None
    client.force_login(new_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "tidak sesuai dengan data Dukcapil" in page
    assert reverse("identity") in page
    # The identity step is open again; the corrected KK is checked and accepted.
    assert "Simpan" in client.get(reverse("identity")).content.decode()
    monkeypatch.setitem(registry.FAKE_SERIALS, "0995", registry.Answer(registry.MATCH))
    steps.submit_identity(
        participant=participant, **identity_kwargs(nik=nik_with(995), kk="3201010101010002")
    )
    participant.refresh_from_db()
    assert participant.registry_status == "match"
    assert RegistryCheck.objects.filter(participant=participant).count() == 3


def test_pending_identity_shows_sedang_diverifikasi_and_keeps_every_next_step(
    areas, new_user, client
):
    steps.submit_identity(participant=new_user.participant, **identity_kwargs(nik=nik_with(995)))
    client.force_login(new_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "sedang diverifikasi" in page.lower()
    # Progress is kept: the next step (phone) opens.
    assert client.get(reverse("phone")).status_code == 200


def test_a_mismatch_on_the_page_says_which_field_and_what_to_do(areas, new_user, client):
    from .test_registration import _identity_post

    client.force_login(new_user)
    response = client.post(reverse("identity"), _identity_post(nik=nik_with(991)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nomor KK tidak sesuai dengan data Dukcapil" in page
    assert "Kartu Keluarga terbaru" in page  # the next step


@pytest.mark.redis
def test_http_registry_circuit_state_is_shared_through_redis(http_registry, settings):
    import os

    from prakerja import redis_client

    settings.REDIS_URL = os.environ["REDIS_URL"]
    connection = redis_client.client(settings.REDIS_URL)
    connection.delete(*connection.keys("registry:pybreaker:*") or ["-"])
    try:
        with http_registry(*[(503, {}, 0)] * 3) as server:
            registry.verify_identity(query=query())  # trips the breaker
            registry._breakers.clear()  # another process: a breaker object of its own
            answer = registry.verify_identity(query=query())
        assert answer.detail == "circuit_open"
        assert len(server.requests) == 3
    finally:
        connection.delete(*connection.keys("registry:pybreaker:*") or ["-"])
