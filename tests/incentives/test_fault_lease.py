"""Money is paid once whatever fails, end to end: real Celery worker processes on Redis, a gateway
slow enough that a claim outlives its (shortened) lease while a second run starts, workers killed
with SIGKILL at random points, callbacks duplicated, replayed and forged. In the end every
installment is paid exactly once or failed with a reason, the sum paid equals the sum owed, and
later runs keep working."""

import datetime as dt
import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from incentives import tasks
from incentives.models import FakeGatewayTransfer, Installment
from prakerja.celery import app
from tests.incentives.helpers import (
    assert_paid_once_or_failed,
    population,
    post_callback,
    signed_callback,
)
from tests.incentives.workers import clear_broker, start_worker, stop_worker, wait_for

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


def _start_worker(name: str):
    return start_worker(
        name=name,
        PAYOUT_FAKE_LATENCY_MS=str(LATENCY_MS),
        PAYOUT_FAKE_VALIDATION_LATENCY_MS=str(VALIDATION_MS),
        PAYOUT_BATCH_SIZE="10",
        PAYOUT_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS),
    )


def _callback(client: Client, body: dict, *, callback_id: str, secret: str, ts: int):
    raw, headers = signed_callback(body, callback_id=callback_id, secret=secret, ts=ts)
    return post_callback(raw, headers, client=client)


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
@pytest.mark.django_db(transaction=True)
def test_claims_that_outlive_their_lease_killed_workers_and_forged_callbacks_pay_once():
    rng = random.Random(int(os.environ.get("FAULT_SEED", "12")))
    now = timezone.now().replace(microsecond=0)
    # A quarter of the accounts not validated yet: their chunks start with slow checks.
    endings = population(
        now=now, wave_number=778, count=PARTICIPANTS, endings=MIX, validated_every=4
    )
    tasks.services.plan_installments(now=now)
    assert Installment.objects.update(due_at=now, next_attempt_at=now) == PARTICIPANTS * 4

    clear_broker()
    app.conf.task_always_eager = False
    workers = [_start_worker("a"), _start_worker("b")]
    kills = 0
    try:
        # Run 1 starts; once it is sending, run 2 starts on the other worker after the lease,
        # finds run 1's claims stale and resolves them by key while run 1 is still working.
        runs = [tasks.disburse_incentives.delay()]
        assert wait_for(lambda: Installment.objects.filter(status="processing").exists(), 60)
        time.sleep(LEASE_SECONDS + 0.2)
        runs.append(tasks.disburse_incentives.delay())
        # Kill workers at random points, start new ones, start more runs.
        for round_ in range(3):
            time.sleep(rng.uniform(0.5, 3.0))
            victim = rng.randrange(len(workers))
            stop_worker(workers[victim], kill=True)
            kills += 1
            workers[victim] = _start_worker(f"r{round_}")
            time.sleep(LEASE_SECONDS + 0.5)
            runs.append(tasks.disburse_incentives.delay())
        assert wait_for(
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
            runs[-1].get(timeout=300, disable_sync_subtasks=False)
            if not Installment.objects.filter(
                status__in=["scheduled", "processing", "unknown"]
            ).exists():
                break
        # And runs after that keep working and change nothing.
        before = Counter(Installment.objects.values_list("status", flat=True))
        later = timezone.now() + dt.timedelta(days=1)
        line = tasks.disburse_incentives.delay(later.isoformat()).get(
            timeout=300, disable_sync_subtasks=False
        )
        assert "paid=0" in line
        assert Counter(Installment.objects.values_list("status", flat=True)) == before
        # Runs took over claims of stalled or killed workers (a killed run has no result).
        lines = [r.get(timeout=1, disable_sync_subtasks=False) for r in runs if r.ready()]
    finally:
        app.conf.task_always_eager = True
        for worker in workers:
            stop_worker(worker)
        clear_broker()

    assert kills == 3
    assert_paid_once_or_failed(endings)
    assert sum(int(line.split("recovered=")[1].split()[0]) for line in lines) > 0, lines
    assert callbacks[("wrong secret", 401)] == sum(
        v for k, v in callbacks.items() if k[0] == "true"
    )
    assert callbacks[("exact replay", 401)] == callbacks[("wrong secret", 401)]
