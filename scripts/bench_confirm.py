"""Payment confirmation benchmark: N payments confirmed over real HTTP by concurrent signed
clients (POST /api/partner/v1/payments/{id}/confirm), beside its floor.

1. Creates N active participants with a full balance (bulk inserts), one platform, one offering
   and a partner key, and starts N payments through ``trainings.services.start_payment`` (OTPs
   read from the locmem SMS outbox of this process).
2. Serves the project with gunicorn on a loopback port (DEBUG off, the same database), and lets
   C client threads confirm the N payments, each request signed like a platform signs it.
3. Sends every request again with its Idempotency-Key (a platform retrying): all must replay.
4. Checks the money: N purchase ledger entries, every balance equal to its ledger sum.

The floor, on bare tables holding the same cards and payments, with the same C clients each on
a connection of its own: per payment one statement, the conditional UPDATE of the payment (open,
right OTP hash) and of the balance (enough money), the purchase ledger entry, the voucher and the
audit row; for the retries, one SELECT of the payment and its voucher. The script stops if the
floor's counts (paid, debits, vouchers, money left) differ from the portal's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_confirm.py --size 800 [--clients 16] [--workers 2] \\
        [--threads 4] [--port 8765]
"""

import base64
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil

ROOT = benchutil.ROOT

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
    "ALLOW_FAKE_GATEWAYS": "1",  # DEBUG off on the stand-ins (prakerja/gateways.py)
    "LOG_LEVEL": "ERROR",
    "CONN_MAX_AGE": "60",
}


def arguments(parser) -> None:
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8765)


args = benchutil.start(
    __doc__,
    size=800,
    unit="payments",
    aliases=("--payments",),
    arguments=arguments,
    env=BENCH_ENV,
)

import requests  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from participants.models import LedgerEntry, Participant, User, Wave  # noqa: E402
from prakerja import sms  # noqa: E402
from trainings import services  # noqa: E402
from trainings.models import Offering, Platform, Provider, Training  # noqa: E402
from trainings.services.credentials import sign  # noqa: E402

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
    return benchutil.active_cards(users=users, wave=wave, now=now)


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


def latency_text(wall: float, latencies: list[float], statuses: dict[int, int]) -> str:
    return (
        f"{len(latencies)} requests in {wall:.2f} s; latency p50 "
        f"{percentile(latencies, 50) * 1000:.1f} ms, p95 {percentile(latencies, 95) * 1000:.1f} "
        f"ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
        f"statuses {statuses}"
    )


BARE_TABLES = {
    "card": "SELECT id, status, balance_idr, balance_expires_at FROM participants_participant",
    "payment": "SELECT id, participant_id, offering_id, amount_idr, status, otp_hash, paid_at "
    "FROM trainings_payment",
    "ledger": "SELECT participant_id, kind, amount_idr, balance_after_idr, reference, created_at "
    "FROM participants_ledgerentry WHERE false",
    "voucher": "SELECT code, payment_id, participant_id, status, sequence, issued_at "
    "FROM trainings_voucher WHERE false",
    "event": "SELECT participant_id, kind, reason_code, note, created_at "
    "FROM participants_participantevent WHERE false",
}

FLOOR_CONFIRM = """
    WITH paid AS (
        UPDATE bare_payment SET status = 'paid', paid_at = now()
        WHERE id = %(id)s AND status = 'otp_sent' AND otp_hash = %(otp_hash)s
        RETURNING id, participant_id, amount_idr
    ),
    debit AS (
        UPDATE bare_card c SET balance_idr = c.balance_idr - paid.amount_idr
        FROM paid
        WHERE c.id = paid.participant_id AND c.status = 'active'
            AND c.balance_idr >= paid.amount_idr AND c.balance_expires_at > now()
        RETURNING c.id, c.balance_idr, paid.amount_idr, paid.id AS payment_id
    ),
    entry AS (
        INSERT INTO bare_ledger (participant_id, kind, amount_idr, balance_after_idr, reference,
                                 created_at)
        SELECT id, 'purchase', -amount_idr, balance_idr, payment_id::text, now() FROM debit
    ),
    voucher AS (
        INSERT INTO bare_voucher (code, payment_id, participant_id, status, sequence, issued_at)
        SELECT 'V' || left(md5(payment_id::text), 11), payment_id, id, 'issued', 1, now()
        FROM debit
    )
    INSERT INTO bare_event (participant_id, kind, reason_code, note, created_at)
    SELECT id, 'note', 'training_purchased', 'voucher', now() FROM debit
"""
FLOOR_REPLAY = """
    SELECT p.status, v.code FROM bare_payment p JOIN bare_voucher v ON v.payment_id = p.id
    WHERE p.id = %(id)s
"""

FLOOR_OUTCOME = {
    "paid": "SELECT count(*) FROM bare_payment WHERE status = 'paid'",
    "debits": "SELECT count(*) FROM bare_ledger WHERE kind = 'purchase'",
    "vouchers": "SELECT count(*) FROM bare_voucher",
    "money left": "SELECT sum(balance_idr) FROM bare_card",
}
PORTAL_OUTCOME = {
    "paid": "SELECT count(*) FROM trainings_payment WHERE status = 'paid'",
    "debits": "SELECT count(*) FROM participants_ledgerentry WHERE kind = 'purchase'",
    "vouchers": "SELECT count(*) FROM trainings_voucher",
    "money left": "SELECT sum(balance_idr) FROM participants_participant",
}


def floor_clients(sql: str, jobs: list[dict], clients: int) -> float:
    """Seconds for ``clients`` threads, each on a connection of its own (autocommit), to run
    ``sql`` once per job."""
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    connections = [benchutil.connect() for _ in range(clients)]
    for conn in connections:
        conn.autocommit = True
    errors: list[BaseException] = []

    def client(conn) -> None:
        try:
            with conn.cursor() as cursor:
                while True:
                    try:
                        job = work.get_nowait()
                    except queue.Empty:
                        return
                    cursor.execute(sql, job)
                    if cursor.description:
                        cursor.fetchall()
        except BaseException as exc:  # raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(conn,)) for conn in connections]
    with benchutil.stopwatch() as watch:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for conn in connections:
        conn.close()
    if errors:
        raise errors[0]
    return watch.seconds


def floor(bare: benchutil.Floor, *, outcome: bool = False) -> tuple[float, float]:
    """The floor of both phases (confirmations, then retries) on freshly built bare tables."""
    bare.build()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, otp_hash FROM bare_payment ORDER BY id")
        jobs = [{"id": pk, "otp_hash": otp_hash} for pk, otp_hash in cursor.fetchall()]
    confirm = floor_clients(FLOOR_CONFIRM, jobs, args.clients)
    replay = floor_clients(FLOOR_REPLAY, jobs, args.clients)
    if outcome:
        with connection.cursor() as cursor:
            bare.outcome = benchutil.counts(cursor, FLOOR_OUTCOME)
    bare.drop_bare()
    return confirm, replay


def main() -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"bench_confirm: port {args.port} is in use")
    n = args.size
    with benchutil.stopwatch() as setup:
        participants = create_cards(n)
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
    print(f"  setup: {n:,} active cards and started payments in {setup.seconds:.1f} s")
    bare = benchutil.Floor(BARE_TABLES)
    bare.snapshot()
    floors = [floor(bare)]
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
        confirm = run_clients(jobs, base_url=base, key=key, secret=secret, clients=args.clients)
        # A retry is signed afresh; its timestamp (whole seconds) must differ from the first
        # request's, or the server refuses it as a replayed signature.
        time.sleep(1 - time.time() % 1)
        replay = run_clients(jobs, base_url=base, key=key, secret=secret, clients=args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    floors.append(floor(bare, outcome=True))
    bare.drop()

    with connection.cursor() as cursor:
        benchutil.same_outcome(benchutil.counts(cursor, PORTAL_OUTCOME), bare.outcome)
    mismatched = (
        Participant.objects.annotate(ledger=Sum("ledger_entries__amount_idr"))
        .exclude(balance_idr=F("ledger"))
        .aggregate(n=Count("id"))["n"]
    )
    debits = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).count()
    if confirm[2] != {200: n} or replay[2] != {200: n} or debits != n or mismatched:
        raise SystemExit(
            f"bench_confirm: FAILED consistency checks: confirm {confirm[2]}, retries "
            f"{replay[2]}, {debits} debits for {n} payments, {mismatched} balances differ from "
            "their ledger"
        )
    server_text = (
        f"gunicorn {args.workers} workers x {args.threads} threads, {args.clients} clients"
    )
    benchutil.report(
        f"payment confirmation over HTTP, {n:,} payments",
        confirm[0],
        [f[0] for f in floors],
        count=n,
        unit="req",
        detail=f"{server_text}; {latency_text(*confirm)}; one debit per payment, every "
        "balance equal to its ledger",
    )
    benchutil.report(
        f"idempotent retry over HTTP, {n:,} payments",
        replay[0],
        [f[1] for f in floors],
        count=n,
        unit="req",
        detail=f"{server_text}; {latency_text(*replay)}",
    )


if __name__ == "__main__":
    main()
