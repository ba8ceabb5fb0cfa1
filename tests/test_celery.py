"""Celery: a real worker on the Redis broker runs a task; a task enqueued in a rolled-back
transaction is never sent."""

import time
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction

from prakerja.celery import app


@app.task(name="tests.remember")
def remember(key: str, value: str) -> str:
    """Store a value in the cache: proof that a task went through the broker and a worker (the
    in-thread worker of ``real_worker`` shares this app, so it knows this task)."""
    cache.set(key, value, timeout=600)
    return value


def _wait_for(key: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cache.get(key)
        if value is not None:
            return value
        time.sleep(0.1)
    return None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_sent_through_redis(real_worker):
    key = f"celery-test:{uuid.uuid4()}"
    remember.delay(key, "dari-worker")
    assert _wait_for(key) == "dari-worker"


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_a_rolled_back_transaction_is_never_sent():
    key = f"celery-test:{uuid.uuid4()}"
    with pytest.raises(RuntimeError), transaction.atomic():
        remember.delay_on_commit(key, "tidak-boleh")
        raise RuntimeError("rollback")
    assert cache.get(key) is None


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_a_committed_transaction_is_sent_after_commit():
    key = f"celery-test:{uuid.uuid4()}"
    with transaction.atomic():
        remember.delay_on_commit(key, "terkirim")
        assert cache.get(key) is None  # not before the commit
    assert cache.get(key) == "terkirim"


def test_beat_schedule_uses_wib():
    assert app.conf.timezone == "Asia/Jakarta"
    assert "heartbeat" in app.conf.beat_schedule


def test_the_embedded_broker_takes_a_task_on_a_fresh_checkout(tmp_path):
    """Without REDIS_URL the broker is a folder (kombu's filesystem transport): a job run on a
    fresh checkout, before `make run` ever made that folder, still queues its follow-up work."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "TESTING")
    }
    env.update(
        DEBUG="1", BROKER_DIR=str(tmp_path / "broker"), DJANGO_SETTINGS_MODULE="prakerja.settings"
    )
    code = (
        "import django; django.setup();"
        "from prakerja.celery import app;"
        "app.send_task('participants.tasks.announce_selection', args=[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert list((tmp_path / "broker" / "queue").iterdir()), "the task was not queued"
