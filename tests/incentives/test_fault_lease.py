"""Issue 12 finding 1, end to end: real Celery worker processes on Redis, a gateway slow enough
that a claim outlives its (shortened) lease while a second run starts, workers killed with
SIGKILL at random points, callbacks duplicated, replayed and forged. In the end every
installment is paid exactly once or failed with a reason, the sum paid equals the sum owed, and
later runs keep working."""

import datetime as dt
import json
import os
import random
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
PARTICIPANTS = 40  # x 4 monthly installments = 160
# Account endings (docs/payouts.md): 90 pays; 05 temporary errors; 06 timeout after paying;
# 07 timeout before arriving; 08 asynchronous; 01-04 permanent failures.
MIX = ["90"] * 6 + ["05", "06", "07", "08", "08", "01", "04"]
PERMANENT = {"01", "02", "03", "04"}
LEASE_SECONDS = 2
LATENCY_MS = 100  # per payout
# Per account check, longer than the lease: a run's claim outlives it while it validates (the
# audit's reproduction: a gateway under load).
VALIDATION_MS = 2600
CALLBACK = "/api/payouts/v1/callback"


def _start_worker(name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "REDIS_URL": settings.REDIS_URL,
        "TESTING": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PAYOUT_BACKEND": "fake",
        "PAYOUT_FAKE_LATENCY_MS": str(LATENCY_MS),
        "PAYOUT_FAKE_VALIDATION_LATENCY_MS": str(VALIDATION_MS),
        "PAYOUT_BATCH_SIZE": "10",
        "PAYOUT_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
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
            "-n",
            f"{name}@%h",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen, *, kill: bool = False) -> None:
    if worker.poll() is not None:
        return
    if kill:
        os.kill(worker.pid, signal.SIGKILL)
    else:
        worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def _clear_broker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in ("celery", "unacked", "unacked_index", "unacked_mutex"):
        client.delete(key)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _callback(client: Client, body: dict, *, callback_id: str, secret: str, ts: int) -> int:
    raw = json.dumps(body).encode()
    signature = payouts.sign(
        secret=secret, timestamp=str(ts), method="POST", path=CALLBACK, body=raw
    )
    headers = {"X-Timestamp": str(ts), "X-Signature": signature, "X-Callback-Id": callback_id}
    return client.post(CALLBACK, data=raw, content_type="application/json", headers=headers)


def _storm_of_callbacks(client: Client, rng: random.Random) -> Counter:
    """For every key the gateway knows: the true result twice (the second later), the first
    replayed exactly, a forged one with a wrong secret, and a validly signed lie (as if the
    secret had leaked) saying the opposite of what happened."""
    answers = Counter()
    secret = settings.PAYOUT_HTTP_SECRET
    rows = list(FakeGatewayTransfer.objects.values_list("idempotency_key", "status"))
    rng.shuffle(rows)
    ts = int(time.time())
    for key, status in rows:
        truth = {"idempotency_key": key, "status": status}
        first = _callback(client, truth, callback_id=f"{key}-a", secret=secret, ts=ts)
        answers[("true", first.status_code)] += 1
        again = _callback(client, truth, callback_id=f"{key}-b", secret=secret, ts=ts)
        answers[("exact replay", again.status_code)] += 1
        later = _callback(client, truth, callback_id=f"{key}-c", secret=secret, ts=ts + 1)
        answers[("duplicate", later.status_code)] += 1
        forged = _callback(client, truth, callback_id=f"{key}-d", secret="guess", ts=ts)
        answers[("wrong secret", forged.status_code)] += 1
        lie = {
            "idempotency_key": key,
            "status": "temporary_error" if status == "paid" else "paid",
            "reason_code": "",
        }
        lied = _callback(client, lie, callback_id=f"{key}-e", secret=secret, ts=ts + 2)
        answers[("signed lie", lied.status_code)] += 1
    return answers


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claims_that_outlive_their_lease_killed_workers_and_forged_callbacks_pay_once():
    rng = random.Random(int(os.environ.get("FAULT_SEED", "12")))
    now = timezone.now().replace(microsecond=0)
    wave = Wave.objects.create(
        number=778,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
        quota_total=PARTICIPANTS,
    )
    endings = {}
    for i in range(PARTICIPANTS):
        digits = MIX[i % len(MIX)]
        # A quarter of the accounts not validated yet: their chunks start with slow checks.
        participant = eligible_participant(
            now=now, number=f"{i:08d}{digits}", wave=wave, validated=(i % 4 != 0)
        )
        endings[participant.pk] = digits
    tasks.services.plan_installments(now=now)
    assert Installment.objects.update(due_at=now, next_attempt_at=now) == PARTICIPANTS * 4

    _clear_broker()
    app.conf.task_always_eager = False
    workers = [_start_worker("a"), _start_worker("b")]
    kills = 0
    try:
        # Run 1 starts; once it is sending, run 2 starts on the other worker after the lease,
        # finds run 1's claims stale and resolves them by key while run 1 is still working.
        runs = [tasks.disburse_incentives.delay()]
        assert _wait(lambda: Installment.objects.filter(status="processing").exists(), 60)
        time.sleep(LEASE_SECONDS + 0.2)
        runs.append(tasks.disburse_incentives.delay())
        # Kill workers at random points, start new ones, start more runs.
        for round_ in range(3):
            time.sleep(rng.uniform(0.5, 3.0))
            victim = rng.randrange(len(workers))
            _stop(workers[victim], kill=True)
            kills += 1
            workers[victim] = _start_worker(f"r{round_}")
            time.sleep(LEASE_SECONDS + 0.5)
            runs.append(tasks.disburse_incentives.delay())
        assert _wait(
            lambda: (
                not Installment.objects.filter(status="processing").exists()
                or not Installment.objects.filter(status="scheduled", batch__isnull=False).exists()
            ),
            120,
        )
        callbacks = _storm_of_callbacks(Client(), rng)
        # Later runs (hours later, past every backoff) finish the job.
        for hour in range(1, 15):
            run_at = timezone.now() + dt.timedelta(hours=hour)
            runs.append(tasks.disburse_incentives.delay(run_at.isoformat()))
            runs[-1].get(timeout=300)
            if not Installment.objects.filter(
                status__in=["scheduled", "processing", "unknown"]
            ).exists():
                break
        # And runs after that keep working and change nothing.
        before = Counter(Installment.objects.values_list("status", flat=True))
        later = timezone.now() + dt.timedelta(days=1)
        line = tasks.disburse_incentives.delay(later.isoformat()).get(timeout=300)
        assert "paid=0" in line
        assert Counter(Installment.objects.values_list("status", flat=True)) == before
        # Runs took over claims of stalled or killed workers (a killed run has no result).
        lines = [r.get(timeout=1) for r in runs if r.ready()]
    finally:
        app.conf.task_always_eager = True
        for worker in workers:
            _stop(worker)
        _clear_broker()

    assert kills == 3
    installments = list(
        Installment.objects.values("id", "participant_id", "status", "reason_code", "amount_idr")
    )
    fake_paid = Counter(
        FakeGatewayTransfer.objects.filter(status="paid").values_list("reference", flat=True)
    )
    owed = 0
    for inst in installments:
        digits = endings[inst["participant_id"]]
        reference = f"installment-{inst['id']}"
        if digits in PERMANENT:
            assert (inst["status"], inst["reason_code"]) == (
                "failed",
                payouts.FakeBackend.PERMANENT[digits],
            ), inst
            assert fake_paid[reference] == 0
        else:
            assert inst["status"] == "paid", inst
            assert fake_paid[reference] == 1, inst  # paid exactly once at the gateway
            owed += inst["amount_idr"]
    paid_portal = Installment.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))["s"]
    paid_requests = PayoutRequest.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))["s"]
    paid_gateway = FakeGatewayTransfer.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))[
        "s"
    ]
    assert paid_portal == paid_requests == paid_gateway == owed
    keys = list(PayoutRequest.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    assert sum(int(line.split("recovered=")[1].split()[0]) for line in lines) > 0, lines
    assert callbacks[("wrong secret", 401)] == sum(
        v for k, v in callbacks.items() if k[0] == "true"
    )
    assert callbacks[("exact replay", 401)] == callbacks[("wrong secret", 401)]
