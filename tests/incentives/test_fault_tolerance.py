"""1,000 installments through the fake backend with injected timeouts, temporary errors,
asynchronous results with duplicated and replayed callbacks, and a real Celery worker process
on Redis killed with SIGKILL in the middle of a batch, then restarted.

In the end every installment is paid exactly once or failed with a reason, and the sum paid
equals the sum owed."""

import datetime as dt
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from incentives import tasks
from incentives.models import FakeGatewayTransfer, Installment, PayoutRequest
from prakerja.celery import app
from tests.incentives.helpers import (
    assert_paid_once_or_failed,
    population,
    post_callback,
    signed_callback,
)
from tests.incentives.workers import clear_broker, start_worker, wait_for

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANTS = 250  # x 4 monthly installments = 1,000
# Account endings (docs/payouts.md): 90 pays; 05 temporary errors; 06 timeout after paying;
# 07 timeout before arriving; 08 asynchronous; 01-04 permanent failures.
MIX = ["90"] * 9 + ["05", "05", "06", "06", "07", "07", "08", "08", "01", "02", "03", "04"]
PERMANENT = {"01", "02", "03", "04"}


def _start_worker():
    return start_worker(PAYOUT_FAKE_LATENCY_MS="8", PAYOUT_BATCH_SIZE="25")


def _deliver_callback(
    client: Client, key: str, status: str, callback_id: str, *, later: int = 0
) -> int:
    body = {"idempotency_key": key, "status": status}
    raw, headers = signed_callback(body, callback_id=callback_id, ts=int(time.time()) + later)
    return post_callback(raw, headers, client=client).status_code


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_thousand_installments_survive_faults_and_a_killed_worker():
    now = timezone.now().replace(microsecond=0)
    endings = population(
        now=now, wave_number=777, count=PARTICIPANTS, endings=MIX, validated_every=2
    )
    tasks.services.plan_installments(now=now)
    # All four installments due now, so one run has 1,000 to send.
    assert Installment.objects.update(due_at=now, next_attempt_at=now) == 1000

    clear_broker()
    app.conf.task_always_eager = False
    worker = _start_worker()
    try:
        tasks.disburse_incentives.delay(now.isoformat())
        # Kill the worker in the middle of the batch.
        assert wait_for(lambda: Installment.objects.filter(status="paid").count() >= 150, 90)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        counts = Counter(Installment.objects.values_list("status", flat=True))
        assert counts["scheduled"] + counts["processing"] > 0, counts  # really mid-batch

        # Asynchronous results: the gateway calls back, twice, and one callback is replayed.
        client = Client()
        sent = list(
            PayoutRequest.objects.filter(status="sent").values_list("idempotency_key", flat=True)
        )
        for key in sent:
            status = FakeGatewayTransfer.objects.get(idempotency_key=key).status
            assert _deliver_callback(client, key, status, f"{key}-a") == 200
            assert _deliver_callback(client, key, status, f"{key}-a") == 409  # replay
            assert _deliver_callback(client, key, status, f"{key}-b", later=1) == 200  # duplicate

        worker = _start_worker()
        for hour in range(1, 13):
            run_at = now + dt.timedelta(hours=hour)
            tasks.disburse_incentives.delay(run_at.isoformat()).get(
                timeout=180, disable_sync_subtasks=False
            )
            if not Installment.objects.filter(
                status__in=["scheduled", "processing", "unknown"]
            ).exists():
                break
    finally:
        app.conf.task_always_eager = True
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        clear_broker()

    assert Installment.objects.count() == 1000
    assert_paid_once_or_failed(endings)
