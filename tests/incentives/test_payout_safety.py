"""Money is paid once: a disbursement cannot pay twice whatever the timing, and callbacks
cannot be forged or replayed into a second payment."""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from incentives import payouts, services
from incentives.models import Installment, PayoutRequest
from tests.incentives.helpers import (
    eligible_participant,
    fake_paid,
    first_installment,
    post_callback,
    signed_callback,
)

ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "/api/payouts/v1/callback"


_first = first_installment
_fake_paid = fake_paid


_signed_callback = signed_callback
_post = post_callback


@pytest.mark.django_db
def test_a_run_that_outlives_its_lease_never_pays_twice(monkeypatch):
    """The audit's reproduction: account validation is slow, a second run starts after the lease,
    recovers the claim and sends; the first worker then wakes up."""
    now = timezone.now()
    participant = eligible_participant(now=now, validated=False)
    real_validate = payouts.FakeBackend.validate_account
    second_run = []

    def slow_validate(self, check):
        if not second_run:
            second_run.append(services.run_disbursement(now=now + dt.timedelta(minutes=16)).line())
        return real_validate(self, check)

    monkeypatch.setattr(payouts.FakeBackend, "validate_account", slow_validate)
    services.run_disbursement(now=now)
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    first = _first(participant)
    assert second_run
    assert first.status == "paid"
    assert _fake_paid(first) == 1
    assert PayoutRequest.objects.filter(installment=first, status="paid").count() == 1


@pytest.mark.django_db
def test_a_worker_that_lost_its_claim_records_nothing_and_calls_nothing(monkeypatch):
    now = timezone.now()
    participant = eligible_participant(now=now, validated=True)
    services.plan_installments(now=now)
    batch = services.create_batch(now=now)
    claimed = services._claim(batch_id=batch.pk, now=now, size=10)
    # Another run declared the claim stale and took it over.
    services.recover_stale_claims(now=now + dt.timedelta(hours=1))
    calls = []
    monkeypatch.setattr(payouts.FakeBackend, "send_many", lambda self, orders: calls.append(orders))
    summary = services.sending._send_claimed(claimed, batch_id=batch.pk, now=now)
    assert calls == []
    assert summary.paid == 0
    assert _first(participant).status == "unknown"


@pytest.mark.django_db
def test_the_key_stays_the_same_for_the_same_money_across_temporary_errors():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567805")
    for minutes in (0, 11, 60):
        services.run_disbursement(now=now + dt.timedelta(minutes=minutes))
    first = _first(participant)
    assert first.status == "paid"
    assert list(
        PayoutRequest.objects.filter(installment=first).values_list("idempotency_key", "status")
    ) == [(f"PKJ-{first.pk}-1", "paid")]
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_a_second_paid_request_in_one_installment_does_not_stop_the_others():
    """Data left by the old double payout: one installment has a paid request and another open
    one the gateway also paid. Later runs keep paying everyone else."""
    now = timezone.now()
    broken = eligible_participant(now=now, validated=True)
    services.run_disbursement(now=now)
    first = _first(broken)
    assert first.status == "paid"
    Installment.objects.filter(pk=first.pk).update(status="unknown")
    order = payouts.PayoutOrder(
        f"PKJ-{first.pk}-9", f"installment-{first.pk}", 600_000, "bni", "1234567890", "A"
    )
    payouts.FakeBackend().send(order)
    PayoutRequest.objects.create(
        installment=first,
        attempt=9,
        idempotency_key=order.idempotency_key,
        amount_idr=600_000,
        account_kind="bni",
        account_number="1234567890",
        status="unknown",
        created_at=now,
    )
    other = eligible_participant(now=now, validated=True)
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    assert _first(other).status == "paid"
    assert _first(broken).status == "paid"
    services.run_disbursement(now=now + dt.timedelta(hours=2))  # and the next run too


@pytest.mark.django_db
def test_a_forged_temporary_error_callback_for_a_paid_key_does_not_pay_again():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567808")  # pending, paid at the fake
    services.run_disbursement(now=now)
    first = _first(participant)
    key = PayoutRequest.objects.get(installment=first).idempotency_key
    raw, headers = _signed_callback(
        {"idempotency_key": key, "status": "temporary_error"}, callback_id="forged-1"
    )
    assert _post(raw, headers).status_code in (200, 409)
    for hours in (1, 2, 3):
        services.run_disbursement(now=now + dt.timedelta(hours=hours))
    first.refresh_from_db()
    assert first.status == "paid"
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_a_failed_callback_is_checked_with_the_gateway_before_it_counts():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567808")
    services.run_disbursement(now=now)
    first = _first(participant)
    key = PayoutRequest.objects.get(installment=first).idempotency_key
    outcome = services.handle_callback(
        callback_id="cb-x", idempotency_key=key, status="failed", reason_code="account_closed"
    )
    assert outcome == "conflict"
    first.refresh_from_db()
    assert first.status == "paid"  # what the gateway says about the key
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_a_callback_on_a_paid_installment_never_moves_it_back():
    now = timezone.now()
    participant = eligible_participant(now=now)
    services.run_disbursement(now=now)
    first = _first(participant)
    key = PayoutRequest.objects.get(installment=first).idempotency_key
    for n, status in enumerate(("failed", "temporary_error", "pending")):
        services.handle_callback(callback_id=f"cb-{n}", idempotency_key=key, status=status)
    first.refresh_from_db()
    assert first.status == "paid"
    assert PayoutRequest.objects.get(installment=first).status == "paid"


@pytest.mark.django_db
def test_an_exact_signed_callback_cannot_be_replayed_with_a_new_callback_id():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567808")
    services.run_disbursement(now=now)
    key = PayoutRequest.objects.get(installment=_first(participant)).idempotency_key
    raw, headers = _signed_callback({"idempotency_key": key, "status": "paid"}, callback_id="a")
    assert _post(raw, headers).status_code == 200
    again = _post(raw, {**headers, "X-Callback-Id": "b"})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "request_replayed"


@pytest.mark.django_db
def test_a_stale_or_badly_signed_callback_is_refused():
    raw, headers = _signed_callback(
        {"idempotency_key": "PKJ-1-1", "status": "paid"}, callback_id="s", ts=int(time.time()) - 301
    )
    assert _post(raw, headers).status_code == 401
    raw, headers = _signed_callback(
        {"idempotency_key": "PKJ-1-1", "status": "paid"}, callback_id="w", secret="wrong"
    )
    assert _post(raw, headers).status_code == 401
    raw, headers = _signed_callback(
        {"idempotency_key": "PKJ-1-1", "status": "paid"}, callback_id=""
    )
    assert _post(raw, {**headers, "X-Timestamp": "9" * 400}).status_code == 401


def _start_django(**extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PAYOUT_", "SMS_", "REGISTRY_", "DEBUG", "TESTING", "DJANGO_SETTINGS"))
    }
    env.update(
        {
            "DEBUG": "0",
            "TESTING": "0",
            "SECRET_KEY": "a-real-production-secret-key-" + "x" * 40,
            "NIK_HASH_KEY": "n" * 44,
            "DATA_ENCRYPTION_KEY": "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=",
            "DJANGO_SETTINGS_MODULE": "prakerja.settings",
            # A real SMS provider: production refuses the local stand-ins.
            "SMS_BACKEND": "http",
            "SMS_HTTP_URL": "https://sms.example.id/v1/messages",
            "SMS_HTTP_TOKEN": "t" * 32,
            "REGISTRY_BACKEND": "http",
            "REGISTRY_HTTP_URL": "https://registry.example.id",
            "REGISTRY_HTTP_TOKEN": "r" * 32,
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("secret", [None, "", "dev-payout-secret"])
def test_the_http_backend_refuses_to_start_without_a_real_secret_when_debug_is_off(secret):
    extra = {"PAYOUT_BACKEND": "http", "PAYOUT_HTTP_URL": "https://gateway.example"}
    if secret is not None:
        extra["PAYOUT_HTTP_SECRET"] = secret
    result = _start_django(**extra)
    assert result.returncode != 0
    assert "PAYOUT_HTTP_SECRET" in result.stderr


def test_the_http_backend_starts_with_a_real_secret():
    result = _start_django(
        PAYOUT_BACKEND="http",
        PAYOUT_HTTP_URL="https://gateway.example",
        PAYOUT_HTTP_SECRET="s" * 40,
    )
    assert result.returncode == 0, result.stderr
