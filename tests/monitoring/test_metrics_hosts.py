"""Several gunicorn workers and several hosts: two gunicorns (two "hosts", each with two workers
and its own metrics directory, started by ``gunicorn.conf.py`` as the Procfile starts them),
scraped separately. Each host's scrape adds up what all its workers answered, whichever worker
answers the scrape; the deployment's figures are the same on both."""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings

from prakerja.metrics import shared
from tests.monitoring.scrape import TOKEN, scrape, value

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_host(port: int, metrics_dir: Path, log: Path) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "prakerja.settings",
        "TESTING": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db.get('HOST') or '127.0.0.1'}"
            f":{db.get('PORT') or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "METRICS_KEY_PREFIX": settings.METRICS_KEY_PREFIX,
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "prakerja.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(url + "/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(log.read_text())


def test_each_host_adds_up_its_workers_and_both_report_the_deployments_figures(tmp_path):
    hosts = {}
    try:
        for name in ("a", "b"):
            port = _free_port()
            (tmp_path / name).mkdir()
            # The start-up empties the metrics directory: nothing from an earlier run is added.
            (tmp_path / name / "counter_999999.db").write_bytes(b"left over")
            log = tmp_path / f"{name}.log"
            hosts[name] = (f"http://127.0.0.1:{port}", _start_host(port, tmp_path / name, log))
        for name, (url, process) in hosts.items():
            _wait_until_up(url, process, tmp_path / f"{name}.log")
        shared.PAYOUTS.inc(5, outcome="failed", reason="name_mismatch")
        healthz = {"view": "healthz", "method": "GET", "status": 200}
        before = {
            name: value(scrape(url), "prakerja_http_requests_total", **healthz)
            for name, (url, _process) in hosts.items()
        }

        # 30 requests to host a and 12 to host b, eight at a time: both workers of a host answer.
        counts = {"a": 30, "b": 12}
        with ThreadPoolExecutor(max_workers=8) as pool:
            for name, n in counts.items():
                urls = [hosts[name][0] + "/healthz"] * n
                list(pool.map(lambda url: requests.get(url, timeout=30), urls))

        for name, (url, _process) in hosts.items():
            written = [p for p in (tmp_path / name).glob("*.db") if p.stat().st_size]
            assert len({p.name.rsplit("_", 1)[1] for p in written}) == 2, written
            assert not (tmp_path / name / "counter_999999.db").exists()
            for _ in range(4):  # whichever worker answers, the host's whole count
                now = value(scrape(url), "prakerja_http_requests_total", **healthz)
                assert now - before[name] == counts[name], (name, before[name], now)

        payouts = [
            value(scrape(url), "prakerja_payouts_total", outcome="failed", reason="name_mismatch")
            for url, _ in hosts.values()
        ]
        assert payouts[0] == payouts[1] >= 5
    finally:
        for _url, process in hosts.values():
            process.terminate()
        for _url, process in hosts.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
