"""Disbursement through the fake backend: failures with reasons, automatic retry after the
account is fixed, temporary errors with backoff, unknown outcomes resolved by key, callbacks,
maker-checker batches, staff actions, stale claims and reconciliation."""

import datetime as dt
import io
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from incentives import services
from incentives.models import (
    DisbursementBatch,
    FakeGatewayTransfer,
    Installment,
    PayoutAccount,
    PayoutRequest,
)
from incentives.services import DisbursementSummary
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.incentives.helpers import eligible_participant, fake_paid, first_installment

_first = first_installment
_fake_paid = fake_paid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("digits", "reason", "label"),
    [
        ("01", "account_closed", "Rekening/E-Wallet telah ditutup di Bank/E-Wallet"),
        ("02", "name_mismatch", "Nama pemilik rekening tidak sesuai"),
        ("03", "ewallet_not_premium", "Akun e-wallet belum premium"),
        ("04", "account_not_found", "Rekening tidak ditemukan"),
    ],
)
def test_an_account_that_fails_validation_fails_the_installment_with_its_reason(
    digits, reason, label
):
    now = timezone.now()
    participant = eligible_participant(now=now, number=f"12345678{digits}")
    services.run_disbursement(now=now)
    first = _first(participant)
    assert (first.status, first.reason_code) == ("failed", reason)
    assert first.get_reason_code_display() == label
    # The request was stored before validation, and never sent: it failed with the reason.
    request = PayoutRequest.objects.get(installment=first)
    assert (request.status, request.sent_at) == ("failed", None)
    assert not FakeGatewayTransfer.objects.filter(reference=f"installment-{first.pk}").exists()


@pytest.mark.django_db
def test_an_account_closed_after_validation_fails_at_payout_and_retries_once_fixed(
    sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567801", validated=True)
    services.run_disbursement(now=now)
    first = _first(participant)
    assert (first.status, first.reason_code) == ("failed", "account_closed")
    assert PayoutRequest.objects.get(installment=first).status == "failed"
    # The next run does not retry a permanent failure on the same account.
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    assert _first(participant).status == "failed"

    change = services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind="bni",
        number="1234567890",
        holder_name=participant.user.full_name,
        now=now,
    )
    code = sms_outbox[-1].text.split(": ")[1][:6]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.confirm_payout_account_change(
            participant=participant, change_id=change.pk, code=code, now=now
        )
    # The retry task is enqueued after commit (and runs eagerly in tests).
    assert callbacks
    first.refresh_from_db()
    assert first.status == "paid"
    assert first.attempts == 2
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_account_change_needs_the_password_and_the_right_otp(sms_outbox):
    now = timezone.now()
    participant = eligible_participant(now=now)
    with pytest.raises(services.WrongPassword):
        services.request_payout_account_change(
            participant=participant,
            password="salah",
            kind="bni",
            number="1234567890",
            holder_name="X",
        )
    assert sms_outbox == []
    with pytest.raises(services.EwalletNotOwnPhone):
        services.request_payout_account_change(
            participant=participant,
            password=DEFAULT_PASSWORD,
            kind="ovo",
            number="081299999999",
            holder_name="X",
        )
    change = services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind="ovo",
        number="0" + participant.phone[3:],
        holder_name=participant.user.full_name,
    )
    code = sms_outbox[-1].text.split(": ")[1][:6]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(services.OtpInvalid):
        services.confirm_payout_account_change(
            participant=participant, change_id=change.pk, code=wrong
        )
    account = services.confirm_payout_account_change(
        participant=participant, change_id=change.pk, code=code
    )
    assert (account.kind, account.validated_at) == ("ovo", None)
    with pytest.raises(services.OtpExpired):  # a change applies once
        services.confirm_payout_account_change(
            participant=participant, change_id=change.pk, code=code
        )


@pytest.mark.django_db
def test_an_expired_otp_does_not_change_the_account(sms_outbox):
    now = timezone.now()
    participant = eligible_participant(now=now)
    change = services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind="bni",
        number="9999999990",
        holder_name=participant.user.full_name,
        now=now,
    )
    code = sms_outbox[-1].text.split(": ")[1][:6]
    with pytest.raises(services.OtpExpired):
        services.confirm_payout_account_change(
            participant=participant,
            change_id=change.pk,
            code=code,
            now=now + dt.timedelta(minutes=6),
        )
    assert PayoutAccount.objects.get(participant=participant).number == "1234567890"


@pytest.mark.django_db
def test_temporary_errors_retry_with_backoff_then_pay():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567805")
    services.run_disbursement(now=now)
    first = _first(participant)
    assert (first.status, first.reason_code, first.temporary_failures) == (
        "scheduled",
        "temporary_error",
        1,
    )
    assert first.next_attempt_at == now + dt.timedelta(seconds=600)
    services.run_disbursement(now=now + dt.timedelta(seconds=300))  # backoff not over
    first.refresh_from_db()
    assert first.temporary_failures == 1
    services.run_disbursement(now=now + dt.timedelta(seconds=601))
    first.refresh_from_db()
    assert first.temporary_failures == 2
    assert first.next_attempt_at == now + dt.timedelta(seconds=601 + 1200)
    services.run_disbursement(now=now + dt.timedelta(seconds=601 + 1200))
    first.refresh_from_db()
    assert first.status == "paid"
    keys = list(
        PayoutRequest.objects.filter(installment=first)
        .order_by("attempt")
        .values_list("idempotency_key", "status")
    )
    # The same money keeps its key: a temporary error is not a definite non-payment.
    assert keys == [(f"PKJ-{first.pk}-1", "paid")]


@pytest.mark.django_db
@override_settings(PAYOUT_MAX_TEMPORARY_FAILURES=2)
def test_too_many_temporary_errors_fail_with_a_reason_and_staff_can_retry():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567805")
    services.run_disbursement(now=now)
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    first = _first(participant)
    assert (first.status, first.reason_code) == ("failed", "gateway_unavailable")
    staff = UserFactory(is_staff=True)
    assert services.retry_failed(installment_ids=[first.pk], actor=staff, now=now) == 1
    services.run_disbursement(now=now + dt.timedelta(hours=2))
    first.refresh_from_db()
    assert first.status == "paid"
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_a_timeout_after_the_money_moved_is_resolved_by_asking_with_the_same_key():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567806")
    summary = services.run_disbursement(now=now)
    first = _first(participant)
    assert summary.unknown == 1
    assert (first.status, first.reason_code) == ("unknown", "timeout")
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    first.refresh_from_db()
    assert first.status == "paid"
    # No new key: the status query found the first request paid.
    assert list(
        PayoutRequest.objects.filter(installment=first).values_list("attempt", "status")
    ) == [(1, "paid")]
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_a_request_that_never_arrived_is_sent_again_with_the_same_key():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567807")
    services.run_disbursement(now=now)
    first = _first(participant)
    assert first.status == "unknown"
    services.run_disbursement(now=now + dt.timedelta(hours=1))
    first.refresh_from_db()
    assert first.status == "paid"
    assert PayoutRequest.objects.filter(installment=first).count() == 1
    assert _fake_paid(first) == 1


@pytest.mark.django_db
def test_the_fake_backend_returns_the_first_result_for_a_repeated_key():
    from incentives import payouts

    backend = payouts.FakeBackend()
    order = payouts.PayoutOrder("K-1", "installment-x", 600_000, "bni", "1234567805", "A")
    first = backend.send(order)
    again = backend.send(order)
    assert first.status == again.status == "temporary_error"
    assert FakeGatewayTransfer.objects.filter(idempotency_key="K-1").count() == 1


@pytest.mark.django_db
def test_an_asynchronous_result_arrives_by_callback_and_duplicates_change_nothing():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567808")
    summary = services.run_disbursement(now=now)
    assert summary.pending == 1
    first = _first(participant)
    assert first.status == "processing"
    key = f"PKJ-{first.pk}-1"
    assert services.handle_callback(callback_id="cb-1", idempotency_key=key, status="paid") == (
        "applied"
    )
    assert services.handle_callback(callback_id="cb-1", idempotency_key=key, status="paid") == (
        "replayed"
    )
    assert services.handle_callback(callback_id="cb-2", idempotency_key=key, status="paid") == (
        "no_change"
    )
    assert (
        services.handle_callback(
            callback_id="cb-3", idempotency_key=key, status="failed", reason_code="account_closed"
        )
        == "conflict"
    )
    first.refresh_from_db()
    assert first.status == "paid"


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_is_resolved_after_the_lease():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567890", validated=True)
    services.plan_installments(now=now)
    batch = services.create_batch(now=now)
    claimed = services._claim(batch_id=batch.pk, now=now, size=10)
    # The worker stored the request with its claim, the gateway paid it, then the worker died.
    assert claimed[0].idempotency_key == f"PKJ-{claimed[0].pk}-1"
    from incentives import payouts

    payouts.FakeBackend().send(
        payouts.PayoutOrder(
            claimed[0].idempotency_key,
            f"installment-{claimed[0].pk}",
            600_000,
            "bni",
            "1234567890",
            "A",
        )
    )
    services.run_disbursement(now=now + dt.timedelta(minutes=5))
    assert _first(participant).status == "processing"  # within the lease: leave it alone
    services.run_disbursement(now=now + dt.timedelta(minutes=20))
    first = _first(participant)
    assert first.status == "paid"
    assert PayoutRequest.objects.filter(installment=first).count() == 1
    assert _fake_paid(first) == 1


@pytest.mark.django_db
@override_settings(PAYOUT_APPROVAL_THRESHOLD_IDR=1_000_000)
def test_a_batch_above_the_threshold_waits_for_a_second_staff_member():
    now = timezone.now()
    participants = [eligible_participant(now=now) for _ in range(2)]
    maker, checker = UserFactory(is_staff=True), UserFactory(is_staff=True)
    summary = services.run_disbursement(now=now, actor=maker)
    batch = DisbursementBatch.objects.get(pk=summary.batch_id)
    assert (batch.status, batch.installment_count, batch.total_idr) == (
        "pending_approval",
        2,
        1_200_000,
    )
    assert summary.paid == 0
    assert not PayoutRequest.objects.exists()
    with pytest.raises(services.CheckerIsMaker):
        services.approve_batch(batch=batch, actor=maker)
    with pytest.raises(IntegrityError), transaction.atomic():
        DisbursementBatch.objects.filter(pk=batch.pk).update(approved_by=maker)
    services.approve_batch(batch=batch, actor=checker)
    services.run_disbursement(now=now)
    batch.refresh_from_db()
    assert batch.status == "done"
    assert all(_first(p).status == "paid" for p in participants)


@pytest.mark.django_db
def test_the_database_refuses_a_second_paid_request_for_an_installment():
    now = timezone.now()
    participant = eligible_participant(now=now)
    services.run_disbursement(now=now)
    first = _first(participant)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutRequest.objects.create(
            installment=first,
            attempt=2,
            idempotency_key=f"PKJ-{first.pk}-2",
            amount_idr=600_000,
            account_kind="bni",
            account_number="1234567890",
            status="paid",
            created_at=now,
        )


@pytest.mark.django_db
def test_mark_resolved_asks_the_backend_now():
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567806")
    services.run_disbursement(now=now)
    first = _first(participant)
    assert first.status == "unknown"
    staff = UserFactory(is_staff=True)
    summary = services.mark_resolved(installment_ids=[first.pk], actor=staff, now=now)
    assert summary.paid == 1
    first.refresh_from_db()
    assert first.status == "paid"


@pytest.mark.django_db
def test_reconciliation_compares_portal_and_backend_key_by_key():
    now = timezone.now()
    eligible_participant(now=now)
    other = eligible_participant(now=now, number="1234567808")
    services.run_disbursement(now=now)  # the 08 payout is pending in the portal, paid at the fake
    report = services.reconcile(day=timezone.localdate(now), now=now)
    assert (report.portal_paid_count, report.backend_paid_count) == (1, 2)
    assert report.backend_paid_idr == 1_200_000
    assert report.mismatch_count == 1
    assert report.mismatches[0]["key"] == f"PKJ-{_first(other).pk}-1"


@pytest.mark.django_db
def test_disburse_incentives_command_prints_a_summary(capsys):
    now = timezone.now()
    eligible_participant(now=now)
    call_command("disburse_incentives", "--now", now.isoformat())
    out = capsys.readouterr().out
    assert out.startswith("disburse_incentives: planned=1")
    assert "paid=1" in out


@pytest.mark.django_db
def test_disburse_incentives_command_reads_a_naive_time_as_wib(monkeypatch):
    """The one --now rule of every operator command (prakerja.clock)."""
    from django.core.management.base import CommandError

    seen = []
    monkeypatch.setattr(
        services, "run_disbursement", lambda **kw: seen.append(kw["now"]) or DisbursementSummary()
    )
    call_command("disburse_incentives", "--now", "2026-01-01T01:00:00", stdout=io.StringIO())
    assert seen == [dt.datetime(2026, 1, 1, 1, 0, tzinfo=ZoneInfo("Asia/Jakarta"))]
    with pytest.raises(CommandError):
        call_command("disburse_incentives", "--now", "besok pagi")


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_batch_never_send_an_installment_twice():
    now = timezone.now()
    from participants.models import Wave

    wave = Wave.objects.create(
        number=900,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
        quota_total=100,
    )
    for _ in range(30):
        eligible_participant(now=now, validated=True, wave=wave)
    services.plan_installments(now=now)
    batch = services.create_batch(now=now)
    errors = []

    def worker():
        try:
            services.send_batch(batch=batch, now=now, batch_size=3)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Installment.objects.filter(batch=batch, status="paid").count() == 30
    assert PayoutRequest.objects.count() == 30
    assert FakeGatewayTransfer.objects.filter(status="paid").count() == 30


@pytest.mark.django_db
def test_a_participants_own_run_sends_only_their_installments():
    now = timezone.now()
    mine = eligible_participant(now=now, number="1234567801", validated=True)
    services.run_disbursement(now=now)
    assert _first(mine).status == "failed"
    other = eligible_participant(now=now)
    services.plan_installments(now=now)
    others_batch = services.create_batch(now=now)
    assert others_batch.status == "approved"
    PayoutAccount.objects.filter(participant=mine).update(
        number="1234567890", validated_at=None, updated_at=now + dt.timedelta(seconds=1)
    )
    services.requeue_fixed_accounts(now=now)
    summary = services.run_disbursement(now=now, participant_id=mine.pk)
    assert summary.paid == 1
    assert _first(mine).status == "paid"
    assert _first(other).status == "scheduled"
    others_batch.refresh_from_db()
    assert others_batch.status == "approved"
