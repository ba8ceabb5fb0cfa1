"""Benchmark payment confirmation (POST /api/partner/v1/payments/{id}/confirm) on PostgreSQL,
over real HTTP with concurrent clients (issue 4).

1. Empties the program's tables (so it refuses a database whose name does not contain "bench"),
   migrates, and creates N active participants with a full balance (bulk inserts), one platform,
   one offering and a partner key.
2. Starts N payments through ``trainings.services.start_payment`` (OTPs read from the locmem SMS
   outbox of this process).
3. Serves the project with gunicorn on a loopback port (DEBUG off, same database), and lets C
   client threads confirm the N payments, each request signed like a platform signs it.
4. Sends every request again with its Idempotency-Key (a platform retrying): all must replay.
5. Checks the money: N purchase ledger entries, every balance equal to its ledger sum.

Prints requests/s and latency percentiles for both phases. Usage::

    createdb -h 127.0.0.1 -U postgres prakerja_tapi_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_tapi_bench \\
        .venv/bin/python scripts/bench_confirm.py [--payments 400] [--clients 16] \\
        [--workers 2] [--threads 4] [--port 8765]
"""

import argparse
import base64
import json
import os
import queue
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Same settings for this process and the server it starts (the Fernet key must match).
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "prakerja.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-confirm-secret-key-not-for-production-000000000000",
    "NIK_HASH_KEY": "bench-confirm-nik-hash-key",
    "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(b"bench-confirm-fernet-key-32bytes").decode(),
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SMS_BACKEND": "locmem",
    "LOG_LEVEL": "ERROR",
    "CONN_MAX_AGE": "60",
}
os.environ.update(BENCH_ENV)

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from participants import sms  # noqa: E402
from participants.models import LedgerEntry, Participant, User, Wave  # noqa: E402
from trainings import services  # noqa: E402
from trainings.models import Offering, Platform, Provider, Training  # noqa: E402
from trainings.services.credentials import sign  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from benchutil import active_cards, truncate_program_tables  # noqa: E402

API = "/api/partner/v1"


def create_cards(n: int) -> list[Participant]:
    now = timezone.now()
    wave = Wave.objects.create(
        number=1,
        opens_at=now - timezone.timedelta(days=10),
        closes_at=now - timezone.timedelta(days=3),
        announces_at=now - timezone.timedelta(days=1),
        quota_total=n,
    )
    users = User.objects.bulk_create(
        # "!" is Django's unusable-password marker: these accounts cannot log in.
        User(email=f"bench{i}@contoh.id", full_name=f"Peserta {i}", password="!")  # noqa: S106
        for i in range(n)
    )
    return active_cards(users=users, wave=wave, now=now)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz")


def run_clients(jobs: list[dict], *, base_url: str, key: str, secret: str, clients: int):
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            path = f"{API}/payments/{job['payment_id']}/confirm"
            body = json.dumps({"otp": job["otp"]}).encode()
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Partner-Key": key,
                "X-Timestamp": ts,
                "X-Signature": sign(
                    secret=secret, timestamp=ts, method="POST", path=path, body=body
                ),
                "Idempotency-Key": job["idempotency_key"],
            }
            started = time.perf_counter()
            response = session.post(base_url + path, data=body, headers=headers, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    return wall, latencies, statuses


def report(label: str, wall: float, latencies: list[float], statuses: dict[int, int]) -> None:
    print(
        f"{label}: {len(latencies)} requests in {wall:.2f} s = {len(latencies) / wall:.1f} req/s; "
        f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms; statuses {statuses}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    if connection.vendor != "postgresql" or "bench" not in settings.DATABASES["default"]["NAME"]:
        raise SystemExit("needs a PostgreSQL DATABASE_URL whose database name contains 'bench'")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is in use")

    call_command("migrate", verbosity=0)
    truncate_program_tables()
    t0 = time.perf_counter()
    participants = create_cards(args.payments)
    platform = Platform.objects.create(code="bench", name="Bench")
    provider = Provider.objects.create(code="bench-lp", name="Bench LP")
    training = Training.objects.create(
        title="Bench", category="Bench", provider=provider, price_idr=150_000,
        duration_hours=1, mode=Training.Mode.SELF_PACED,
    )  # fmt: skip
    offering = Offering.objects.create(
        code="bench-1", training=training, platform=platform, price_idr=150_000,
        url="https://bench.example/1",
    )  # fmt: skip
    key, secret = services.issue_partner_key(platform=platform)
    jobs = []
    for participant in participants:
        payment = services.start_payment(
            platform=platform,
            card_number=participant.card_number,
            offering_code=offering.code,
            partner_order_id=str(uuid.uuid4()),
        )
        otp = re.search(r"\b(\d{6})\b", sms.outbox[-1].text).group(1)
        jobs.append(
            {"payment_id": str(payment.pk), "otp": otp, "idempotency_key": uuid.uuid4().hex}
        )
    print(
        f"setup: {args.payments} active cards and started payments "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    connection.close()

    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "prakerja.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **BENCH_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(args.port)
        base = f"http://127.0.0.1:{args.port}"
        print(
            f"server: gunicorn {args.workers} workers x {args.threads} threads; "
            f"{args.clients} client threads; database {settings.DATABASES['default']['NAME']}"
        )
        wall, latencies, statuses = run_clients(
            jobs, base_url=base, key=key, secret=secret, clients=args.clients
        )
        report("confirm", wall, latencies, statuses)
        wall, latencies, replays = run_clients(
            jobs, base_url=base, key=key, secret=secret, clients=args.clients
        )
        report("retry (idempotent replay)", wall, latencies, replays)
    finally:
        server.terminate()
        server.wait(timeout=30)

    debits = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).count()
    mismatched = (
        Participant.objects.annotate(ledger=Sum("ledger_entries__amount_idr"))
        .exclude(balance_idr=F("ledger"))
        .aggregate(n=Count("id"))["n"]
    )
    print(f"money: {debits} purchase debits for {args.payments} payments; "
          f"{mismatched} balances differ from their ledger")  # fmt: skip
    ok = statuses == {200: args.payments} and replays == {200: args.payments}
    if not ok or debits != args.payments or mismatched:
        raise SystemExit("bench_confirm: FAILED consistency checks")
    print("bench_confirm: ok")


if __name__ == "__main__":
    main()
