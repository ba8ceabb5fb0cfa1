"""Benchmark the nightly deadline sweep on PostgreSQL (issue 5).

Generates N selected participants (default 1,000,000) straight in SQL with ``generate_series``
(users, participants, grant ledger entries), 70% of them past their first-purchase deadline and
interleaved by id with the others, then runs ``trainings.sweep.sweep_deadlines`` and prints the
time, the number of batches and the SQL statements it executed; then reruns it for the same
cut-off (expected: no change, a few seconds).

It TRUNCATEs the program's tables first, so it refuses a database whose name does not contain
"bench" or "sweep". Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_sweep DEBUG=1 \\
        .venv/bin/python scripts/bench_sweep.py [--participants N] [--keep]
"""

import argparse
import datetime as dt
import os
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prakerja.settings")

import django

django.setup()

from benchutil import floor_seconds, report_ratio, settle, truncate_program_tables  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402

from participants import deadlines  # noqa: E402
from participants.models import Province, Wave  # noqa: E402
from trainings import sweep  # noqa: E402
from trainings.models import SweepRun  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
PAST_ANNOUNCED = dt.datetime(2031, 3, 1, 20, 0, tzinfo=WIB)  # deadline 30 March 2031
FUTURE_ANNOUNCED = dt.datetime(2031, 4, 1, 20, 0, tzinfo=WIB)  # deadline 30 April 2031
CUTOFF = dt.datetime(2031, 4, 2, 0, 5, tzinfo=WIB)


def generate(n: int, past_per_10: int) -> None:
    province, _ = Province.objects.get_or_create(code="32", defaults={"name": "JAWA BARAT"})
    past = Wave.objects.create(
        number=9001,
        opens_at=PAST_ANNOUNCED - dt.timedelta(days=7),
        closes_at=PAST_ANNOUNCED - dt.timedelta(days=3),
        announces_at=PAST_ANNOUNCED,
        quota_total=n,
    )
    future = Wave.objects.create(
        number=9002,
        opens_at=FUTURE_ANNOUNCED - dt.timedelta(days=7),
        closes_at=FUTURE_ANNOUNCED - dt.timedelta(days=3),
        announces_at=FUTURE_ANNOUNCED,
        quota_total=n,
    )
    params = {
        "n": n,
        "past_per_10": past_per_10,
        "past_wave": past.pk,
        "future_wave": future.pk,
        "past_announced": PAST_ANNOUNCED,
        "future_announced": FUTURE_ANNOUNCED,
        "past_deadline": deadlines.first_purchase_deadline(PAST_ANNOUNCED),
        "future_deadline": deadlines.first_purchase_deadline(FUTURE_ANNOUNCED),
        "expires": deadlines.balance_expiry(PAST_ANNOUNCED),
        "province": province.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO participants_user (password, is_superuser, is_staff, is_active,
                                           date_joined, email, full_name, email_verified_at)
            SELECT '!', false, false, true, now(), 'bench' || g || '@bench.invalid',
                   'Peserta Uji ' || g, now()
            FROM generate_series(1, %(n)s) g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO participants_participant (
                user_id, nik_hash, nik_encrypted, nik_masked, kk_hash, kk_encrypted, birth_date,
                gender, province_id, address, education, employment_status, phone,
                status, wave_id, selected_at, card_number, oriented_at,
                first_purchase_deadline, revoke_reason, balance_idr, balance_expires_at,
                created_at, updated_at)
            SELECT u.id, md5('nik' || u.id) || md5('hash' || u.id), '',
                   '3201********' || lpad((u.id %% 10000)::text, 4, '0'),
                   '', '', DATE '1995-06-15', 'M', %(province)s, '', 'sma', 'unemployed',
                   '+62812' || lpad(u.id::text, 8, '0'),
                   CASE WHEN u.id %% 2 = 0 THEN 'active' ELSE 'selected' END,
                   CASE WHEN u.id %% 10 < %(past_per_10)s THEN %(past_wave)s
                        ELSE %(future_wave)s END,
                   CASE WHEN u.id %% 10 < %(past_per_10)s THEN %(past_announced)s
                        ELSE %(future_announced)s END,
                   '5890' || lpad(u.id::text, 12, '0'),
                   CASE WHEN u.id %% 2 = 0 THEN now() END,
                   CASE WHEN u.id %% 10 < %(past_per_10)s THEN %(past_deadline)s
                        ELSE %(future_deadline)s END,
                   '', 1000000, %(expires)s, now(), now()
            FROM participants_user u
            WHERE u.email LIKE '%%@bench.invalid'
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO participants_ledgerentry (participant_id, kind, amount_idr,
                                                  balance_after_idr, reference, created_at)
            SELECT id, 'grant', 1000000, 1000000, '', selected_at
            FROM participants_participant
            """
        )
    with connection.cursor() as cursor:
        for table in ["participants_user", "participants_participant", "participants_ledgerentry"]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    settle()


class StatementCounter:
    """Counts the statements of this connection and of every connection opened meanwhile (the
    sweep's worker threads open their own)."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        with self.lock:
            self.count += 1
        return execute(sql, params, many, context)

    def attach(self, sender, connection, **kwargs):
        connection.execute_wrappers.append(self)


def timed_sweep(workers: int | None) -> tuple[float, int, SweepRun]:
    counter = StatementCounter()
    connection.ensure_connection()  # counted by the wrapper below, not again by the signal
    connection_created.connect(counter.attach)
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(counter):
            run = sweep.sweep_deadlines(now=CUTOFF, notify=False, workers=workers)
    finally:
        connection_created.disconnect(counter.attach)
    return time.perf_counter() - started, counter.count, run


def scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--past-per-10", type=int, default=7, help="how many in 10 are late")
    parser.add_argument("--keep", action="store_true", help="reuse the data already loaded")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker threads (default: SWEEP_WORKERS)"
    )
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("bench_sweep needs PostgreSQL (set DATABASE_URL)")
    name = connection.settings_dict["NAME"]
    if "bench" not in name and "sweep" not in name:
        sys.exit(f"refusing to TRUNCATE database {name!r}: its name must contain bench or sweep")

    if not args.keep:
        started = time.perf_counter()
        truncate_program_tables()
        generate(args.participants, args.past_per_10)
        print(
            f"generated participants={args.participants:,} "
            f"past_deadline={args.participants * args.past_per_10 // 10:,} "
            f"in {time.perf_counter() - started:.1f} s"
        )
    else:
        settle()

    workers = args.workers or sweep.settings.SWEEP_WORKERS
    print(f"bench_sweep: cpus={os.cpu_count()} load_avg={os.getloadavg()[0]:.1f} workers={workers}")
    floors = [floor_seconds()]
    settle()
    elapsed, statements, run = timed_sweep(workers)
    floors.append(floor_seconds())
    report_ratio(f"sweep N={args.participants:,}", elapsed, floors)
    # lock, get-or-create (2), 2 candidate probes, finish, reload, unlock; with workers, the
    # range query too. Batch statements: three per batch (the revocation, the places returned to
    # the recovered pool, the run's counters), plus the empty end of the keyset walk (serial) or
    # the last, empty range when the count divides evenly (workers).
    fixed = 8 + (1 if workers > 1 else 0)
    per_batch = 3
    empty = statements - fixed - per_batch * run.batches
    print(
        f"sweep: {elapsed:.1f} s, revoked={run.revoked:,}, batches={run.batches}, "
        f"sql_statements={statements} = {fixed} fixed + {statements - fixed} batch statements "
        f"({run.batches} batches of at most {sweep.settings.SWEEP_BATCH_SIZE:,} x {per_batch} + "
        f"{empty} empty), load_avg={os.getloadavg()[0]:.1f}"
    )
    before = (
        scalar("SELECT count(*) FROM participants_ledgerentry"),
        scalar("SELECT count(*) FROM participants_participantevent"),
        scalar("SELECT count(*) FROM participants_blacklistentry"),
        scalar("SELECT coalesce(sum(recovered), 0) FROM trainings_recoveredquota"),
        scalar("SELECT count(*) FROM participants_participant WHERE status = 'revoked'"),
    )
    elapsed, statements, rerun = timed_sweep(workers)
    after = (
        scalar("SELECT count(*) FROM participants_ledgerentry"),
        scalar("SELECT count(*) FROM participants_participantevent"),
        scalar("SELECT count(*) FROM participants_blacklistentry"),
        scalar("SELECT coalesce(sum(recovered), 0) FROM trainings_recoveredquota"),
        scalar("SELECT count(*) FROM participants_participant WHERE status = 'revoked'"),
    )
    print(
        f"rerun: {elapsed:.2f} s, sql_statements={statements}, "
        f"changes={'none' if before == after else f'{before} -> {after}'}, "
        f"run.revoked still {rerun.revoked:,}"
    )
    print(
        f"rows: ledger={after[0]:,} events={after[1]:,} blacklist={after[2]:,} "
        f"recovered={after[3]:,} revoked={after[4]:,}"
    )


if __name__ == "__main__":
    main()
