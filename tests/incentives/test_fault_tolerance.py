"""1,000 installments through the fake backend with injected timeouts, temporary errors,
asynchronous results with duplicated and replayed callbacks, and a real Celery worker process
on Redis killed with SIGKILL in the middle of a batch, then restarted.

In the end every installment is paid exactly once or failed with a reason, and the sum paid
equals the sum owed."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from incentives import payouts, tasks
from incentives.models import FakeGatewayTransfer, Installment, PayoutRequest
from participants.models import Wave
from prakerja.celery import app
from tests.incentives.helpers import eligible_participant

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANTS = 250  # x 4 monthly installments = 1,000
# Account endings (docs/payouts.md): 90 pays; 05 temporary errors; 06 timeout after paying;
# 07 timeout before arriving; 08 asynchronous; 01-04 permanent failures.
MIX = ["90"] * 9 + ["05", "05", "06", "06", "07", "07", "08", "08", "01", "02", "03", "04"]
PERMANENT = {"01", "02", "03", "04"}


def _start_worker() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "REDIS_URL": settings.REDIS_URL,
        "TESTING": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PAYOUT_BACKEND": "fake",
        "PAYOUT_FAKE_LATENCY_MS": "8",
        "PAYOUT_BATCH_SIZE": "25",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "prakerja",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _clear_broker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in ("celery", "unacked", "unacked_index", "unacked_mutex"):
        client.delete(key)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _deliver_callback(
    client: Client, key: str, status: str, callback_id: str, *, later: int = 0
) -> int:
    body = json.dumps({"idempotency_key": key, "status": status}).encode()
    ts = str(int(time.time()) + later)
    path = "/api/payouts/v1/callback"
    return client.post(
        path,
        data=body,
        content_type="application/json",
        headers={
            "X-Timestamp": ts,
            "X-Signature": payouts.sign(
                secret=settings.PAYOUT_HTTP_SECRET,
                timestamp=ts,
                method="POST",
                path=path,
                body=body,
            ),
            "X-Callback-Id": callback_id,
        },
    ).status_code


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_thousand_installments_survive_faults_and_a_killed_worker():
    now = timezone.now().replace(microsecond=0)
    wave = Wave.objects.create(
        number=777,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
        quota_total=PARTICIPANTS,
    )
    endings = {}
    for i in range(PARTICIPANTS):
        digits = MIX[i % len(MIX)]
        participant = eligible_participant(
            now=now, number=f"{i:08d}{digits}", validated=(i % 2 == 0), wave=wave
        )
        endings[participant.pk] = digits
    tasks.services.plan_installments(now=now)
    # All four installments due now, so one run has 1,000 to send.
    assert Installment.objects.update(due_at=now, next_attempt_at=now) == 1000

    _clear_broker()
    app.conf.task_always_eager = False
    worker = _start_worker()
    try:
        tasks.disburse_incentives.delay(now.isoformat())
        # Kill the worker in the middle of the batch.
        assert _wait(lambda: Installment.objects.filter(status="paid").count() >= 150, 90)
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
            tasks.disburse_incentives.delay(run_at.isoformat()).get(timeout=180)
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
        _clear_broker()

    installments = list(
        Installment.objects.values("id", "participant_id", "status", "reason_code", "amount_idr")
    )
    assert len(installments) == 1000
    fake_paid = Counter(
        FakeGatewayTransfer.objects.filter(status="paid").values_list("reference", flat=True)
    )
    owed = 0
    for inst in installments:
        digits = endings[inst["participant_id"]]
        reference = f"installment-{inst['id']}"
        if digits in PERMANENT:
            assert inst["status"] == "failed", inst
            assert inst["reason_code"] == payouts.FakeBackend.PERMANENT[digits]
            assert fake_paid[reference] == 0
        else:
            assert inst["status"] == "paid", inst
            assert fake_paid[reference] == 1, inst  # paid exactly once at the gateway
            owed += inst["amount_idr"]
    assert all(i["reason_code"] for i in installments if i["status"] == "failed")
    paid_portal = Installment.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))["s"]
    paid_requests = PayoutRequest.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))["s"]
    paid_gateway = FakeGatewayTransfer.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))[
        "s"
    ]
    assert paid_portal == paid_requests == paid_gateway == owed
    # Every key the portal ever used is unique, and none was used for two installments.
    keys = list(PayoutRequest.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
