"""A real Celery worker process for fault tests: started against the test database and Redis,
killed or stopped by the test."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def start_worker(*, name: str = "w", **env_overrides: str) -> subprocess.Popen:
    """``celery worker --pool=solo`` on the test database and Redis, with the fake backend and
    ``env_overrides`` (settings as environment variables)."""
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "REDIS_URL": settings.REDIS_URL,
        "TESTING": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PAYOUT_BACKEND": "fake",
        "LOG_LEVEL": "WARNING",
        **env_overrides,
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


def stop_worker(worker: subprocess.Popen, *, kill: bool = False) -> None:
    """SIGKILL (``kill``) or a warm shutdown, then reap the process."""
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


def clear_broker() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in ("celery", "unacked", "unacked_index", "unacked_mutex"):
        client.delete(key)


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
