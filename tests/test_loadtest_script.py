"""scripts/loadtest.py (`make loadtest`), without a load test.

It leaves no process behind: it starts gunicorn (and its workers), the Celery worker and locust
each in a process group of its own, and stops those groups when it ends, on Ctrl-C (SIGINT) and
on SIGTERM. Here the script's own process-start helper starts gunicorn with a tiny app; the
parent is then interrupted or terminated. And its capacity search (``--find-capacity``) finds
the largest number of users that fits."""

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY_APP = """
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""

# The parent: the script's helper starts gunicorn, then the parent waits as during a step.
PARENT = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {scripts!r})
import loadtest
loadtest.gunicorn(
    "tiny:application", {port}, 2, dict(os.environ), Path({log!r}), chdir=Path({app_dir!r})
)
print("started", flush=True)
time.sleep(120)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left


def _serving(port: int) -> list[int]:
    """The pids of the processes (gunicorn's master and workers) started for ``port``."""
    bind = f"127.0.0.1:{port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if bind in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_no_gunicorn_process_outlives_the_load_test_script(tmp_path, signum):
    (tmp_path / "tiny.py").write_text(TINY_APP)
    port = _free_port()
    code = PARENT.format(
        scripts=str(ROOT / "scripts"), port=port, log=str(tmp_path / "web.log"),
        app_dir=str(tmp_path),
    )  # fmt: skip
    parent = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, away from pytest's
    )
    children: list[int] = []
    try:
        assert parent.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(children) < 3:  # the master and 2 workers
            time.sleep(0.2)
            children = _serving(port)
        assert len(children) == 3, (children, (tmp_path / "web.log").read_text())

        parent.send_signal(signum)
        parent.wait(timeout=60)  # the script gives gunicorn 30 s to finish its requests
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.2)
        left = [pid for pid in children if _alive(pid)]
        assert not left, f"left running after the script was stopped: {left}"
    finally:
        for pid in _serving(port):  # whatever was left: not into the next test
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)


def _script():
    spec = importlib.util.spec_from_file_location(
        "loadtest_script", ROOT / "scripts" / "loadtest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("capacity", [0, 5, 8, 13, 40, 100, 300, 511])
def test_the_capacity_search_finds_the_largest_number_that_fits(capacity):
    tried = []

    def fits(users: int) -> bool:  # p95 under the target up to ``capacity`` users
        tried.append(users)
        return users <= capacity

    found = _script().search_capacity(fits, start=8, limit=512)
    assert found <= capacity
    assert capacity - found <= max(2, capacity // 8), tried
    assert len(tried) <= 10, tried  # each stage costs seconds of the run
