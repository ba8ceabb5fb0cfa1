"""The ``http`` payout backend against a local gateway over real HTTP, and the signed,
timestamped, replay-protected callback endpoint (live_server)."""

import datetime as dt
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from incentives import services
from incentives.models import Installment, PayoutRequest
from tests.incentives.gateway import KEY, SECRET, Gateway
from tests.incentives.helpers import eligible_participant


@pytest.fixture
def gateway(settings):
    with Gateway(slow_seconds=1.5) as gw:
        settings.PAYOUT_BACKEND = "http"
        settings.PAYOUT_HTTP_URL = gw.url
        settings.PAYOUT_HTTP_KEY = KEY
        settings.PAYOUT_HTTP_SECRET = SECRET
        settings.PAYOUT_HTTP_TIMEOUT_SECONDS = 0.5
        yield gw


def _first(participant) -> Installment:
    return Installment.objects.get(participant=participant, kind="monthly", number=1)


@pytest.mark.django_db
def test_signed_requests_with_the_idempotency_key_pay_the_installment(gateway):
    now = timezone.now()
    participant = eligible_participant(now=now)
    services.run_disbursement(now=now)
    first = _first(participant)
    assert first.status == "paid"
    assert gateway.bad_signatures == 0
    payout_calls = [r for r in gateway.requests if r["path"] == "/v1/payouts"]
    assert payout_calls[0]["idem"] == f"PKJ-{first.pk}-1"
    assert any(r["path"] == "/v1/accounts/validate" for r in gateway.requests)


@pytest.mark.django_db
def test_the_gateway_is_given_a_callback_address_on_portal_url(gateway, settings):
    settings.PORTAL_URL = "https://prakerja.example.id"
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567808")
    services.run_disbursement(now=now)
    key = f"PKJ-{_first(participant).pk}-1"
    assert gateway.payouts[key]["callback_url"] == (
        "https://prakerja.example.id/api/payouts/v1/callback"
    )


@pytest.mark.django_db
def test_a_wrong_secret_is_refused_by_the_gateway_and_nothing_is_paid(gateway, settings):
    settings.PAYOUT_HTTP_SECRET = "not-the-secret"
    now = timezone.now()
    participant = eligible_participant(now=now, validated=True)
    services.run_disbursement(now=now)
    first = _first(participant)
    assert first.status == "scheduled"  # 401 is not a definite answer: retried later
    assert gateway.bad_signatures >= 1
    assert gateway.payouts == {}


@pytest.mark.django_db
def test_a_timeout_is_resolved_by_a_status_query_with_the_same_key(gateway):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567806")
    services.run_disbursement(now=now)
    first = _first(participant)
    assert first.status == "unknown"
    time.sleep(1.2)  # let the slow answer finish
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    first.refresh_from_db()
    assert first.status == "paid"
    assert len(gateway.payouts) == 1
    assert any(r["path"] == f"/v1/payouts/PKJ-{first.pk}-1" for r in gateway.requests)


@pytest.mark.django_db
def test_a_503_is_a_temporary_error(gateway):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567805")
    services.run_disbursement(now=now)
    first = _first(participant)
    assert (first.status, first.reason_code) == ("scheduled", "temporary_error")


@pytest.mark.django_db
def test_a_permanent_failure_carries_the_gateway_reason(gateway):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567802", validated=True)
    services.run_disbursement(now=now)
    first = _first(participant)
    assert (first.status, first.reason_code) == ("failed", "name_mismatch")


@pytest.mark.django_db
def test_reconciliation_reads_the_gateway_report(gateway):
    now = timezone.now()
    eligible_participant(now=now)
    services.run_disbursement(now=now)
    report = services.reconcile(day=timezone.localdate(now), now=now)
    assert (report.portal_paid_count, report.backend_paid_count, report.mismatch_count) == (1, 1, 0)


@pytest.mark.django_db(transaction=True)
def test_callbacks_are_signed_timestamped_and_replay_protected(gateway, live_server):
    callback_url = f"{live_server.url}/api/payouts/v1/callback"
    with override_settings(PORTAL_URL=live_server.url):
        now = timezone.now()
        participant = eligible_participant(now=now, number="1234567808")
        services.run_disbursement(now=now)
    first = _first(participant)
    key = f"PKJ-{first.pk}-1"
    assert first.status == "processing"
    assert PayoutRequest.objects.get(idempotency_key=key).status == "sent"

    assert gateway.deliver_callback(key, callback_url=callback_url, secret="wrong")[0] == 401
    stale = int(time.time()) - 301
    assert gateway.deliver_callback(key, callback_url=callback_url, ts=stale)[0] == 401
    first.refresh_from_db()
    assert first.status == "processing"

    ts = int(time.time())
    assert gateway.deliver_callback(key, callback_url=callback_url, callback_id="cb-1", ts=ts) == (
        200,
        {"outcome": "applied"},
    )
    assert gateway.deliver_callback(key, callback_url=callback_url, callback_id="cb-1")[0] == 409
    # The exact signed request again, under a new id: refused as a replay.
    replayed = gateway.deliver_callback(key, callback_url=callback_url, callback_id="cb-2", ts=ts)
    assert replayed == (401, {"error": {"code": "request_replayed"}})
    # The gateway repeating its result later (new timestamp) changes nothing.
    later = gateway.deliver_callback(key, callback_url=callback_url, callback_id="cb-3", ts=ts + 1)
    assert later == (
        200,
        {"outcome": "no_change"},
    )
    first.refresh_from_db()
    assert first.status == "paid"
    assert len(gateway.payouts) == 1
