"""Sweep benchmark: N selected participants, 70% past their first-purchase deadline, the
nightly sweep beside its floor.

Generates N selected participants straight in SQL with ``generate_series`` (users, participants,
grant ledger entries), 70% of them past their first-purchase deadline and interleaved by id with
the others, then times ``trainings.sweep.sweep_deadlines`` (its batches, worker threads and
commits) and prints its SQL statements; then reruns it for the same cut-off (expected: no change,
a few statements).

The floor: the same revocation as one plain SQL statement on bare tables holding the same rows:
the UPDATE of every past-deadline row (status, reason, time, balance to 0), its blacklist entry,
its forfeit ledger entry, its two audit rows, and the places returned to the recovered pool per
wave and province.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_sweep.py --size 1000000 [--workers N]
"""

import datetime as dt
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil


def arguments(parser) -> None:
    parser.add_argument("--past-per-10", type=int, default=7, help="how many in 10 are late")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker threads (default: SWEEP_WORKERS)"
    )


args = benchutil.start(
    __doc__,
    size=1_000_000,
    unit="selected participants",
    aliases=("--participants",),
    arguments=arguments,
)

from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402

from participants.cards import deadlines  # noqa: E402
from participants.models import Province, Wave  # noqa: E402
from participants.services import LEGAL_BASIS_NO_FIRST_PURCHASE  # noqa: E402
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


BARE_TABLES = {
    "participant": """
        SELECT p.id, u.full_name, p.status, p.wave_id, p.province_id, p.nik_hash, p.nik_masked,
               p.first_purchase_deadline, p.first_purchase_at, p.balance_idr,
               p.balance_expires_at, p.revoked_at, p.revoke_reason, p.updated_at
        FROM participants_participant p JOIN participants_user u ON u.id = p.user_id
    """,
    "blacklist": """
        SELECT nik_hash, nik_masked, full_name, participant_id, reason_code, legal_basis,
               created_at
        FROM participants_blacklistentry WHERE removed_at IS NULL
    """,
    "ledger": "SELECT participant_id, kind, amount_idr, balance_after_idr, reference, created_at "
    "FROM participants_ledgerentry WHERE false",
    "event": "SELECT participant_id, kind, from_status, to_status, reason_code, note, created_at "
    "FROM participants_participantevent WHERE false",
    "recovered": "SELECT source_wave_id, province_id, recovered, allocated "
    "FROM trainings_recoveredquota WHERE false",
}

FLOOR_REVOKE = """
    WITH gone AS (
        UPDATE bare_participant p
        SET status = 'revoked', revoked_at = %(now)s, revoke_reason = 'no_first_purchase',
            balance_idr = 0, updated_at = %(now)s
        FROM (SELECT id, status, balance_idr FROM bare_participant
              WHERE status IN ('selected', 'active') AND first_purchase_at IS NULL
                AND first_purchase_deadline < %(cutoff)s
                AND (balance_expires_at IS NULL
                     OR balance_expires_at > first_purchase_deadline)) old
        WHERE p.id = old.id
        RETURNING p.id, p.full_name, p.wave_id, p.province_id, p.nik_hash, p.nik_masked,
                  old.status AS old_status, old.balance_idr AS old_balance
    ),
    -- Read before the insert: an anti join against the table being written would rescan the
    -- new rows for every row (no index on the bare table).
    listed AS MATERIALIZED (SELECT nik_hash FROM bare_blacklist),
    blacklisted AS (
        INSERT INTO bare_blacklist (nik_hash, nik_masked, full_name, participant_id,
                                    reason_code, legal_basis, created_at)
        SELECT g.nik_hash, g.nik_masked, g.full_name, g.id, 'no_first_purchase',
               %(legal_basis)s, %(now)s
        FROM gone g LEFT JOIN listed l ON l.nik_hash = g.nik_hash
        WHERE g.nik_hash IS NOT NULL AND l.nik_hash IS NULL
        RETURNING participant_id
    ),
    forfeited AS (
        INSERT INTO bare_ledger (participant_id, kind, amount_idr, balance_after_idr, reference,
                                 created_at)
        SELECT id, 'forfeit', -old_balance, 0, 'sweep', %(now)s FROM gone WHERE old_balance > 0
    ),
    events AS (
        INSERT INTO bare_event (participant_id, kind, from_status, to_status, reason_code, note,
                                created_at)
        SELECT id, 'status', old_status, 'revoked', 'no_first_purchase', %(legal_basis)s,
               %(now)s FROM gone
        UNION ALL
        SELECT participant_id, 'blacklist', '', '', 'no_first_purchase', %(legal_basis)s,
               %(now)s FROM blacklisted
    )
    INSERT INTO bare_recovered (source_wave_id, province_id, recovered, allocated)
    SELECT wave_id, province_id, count(*), 0 FROM gone
    WHERE wave_id IS NOT NULL AND province_id IS NOT NULL
    GROUP BY wave_id, province_id
"""


def floor_work(cursor) -> None:
    cursor.execute(
        FLOOR_REVOKE,
        {"now": CUTOFF, "cutoff": CUTOFF, "legal_basis": LEGAL_BASIS_NO_FIRST_PURCHASE},
    )


FLOOR_OUTCOME = {
    "revoked": "SELECT count(*) FROM bare_participant WHERE status = 'revoked'",
    "forfeits": "SELECT count(*) FROM bare_ledger WHERE kind = 'forfeit'",
    "blacklisted": "SELECT count(*) FROM bare_blacklist",
    "audit rows": "SELECT count(*) FROM bare_event",
    "places returned": "SELECT coalesce(sum(recovered), 0) FROM bare_recovered",
}
PORTAL_OUTCOME = {
    "revoked": "SELECT count(*) FROM participants_participant WHERE status = 'revoked'",
    "forfeits": "SELECT count(*) FROM participants_ledgerentry WHERE kind = 'forfeit'",
    "blacklisted": "SELECT count(*) FROM participants_blacklistentry WHERE removed_at IS NULL",
    "audit rows": "SELECT count(*) FROM participants_participantevent",
    "places returned": "SELECT coalesce(sum(recovered), 0) FROM trainings_recoveredquota",
}


def main() -> None:
    with benchutil.stopwatch() as load:
        generate(args.size, args.past_per_10)
    print(
        f"  generated {args.size:,} participants, "
        f"{args.size * args.past_per_10 // 10:,} past the deadline, in {load.seconds:.1f} s"
    )
    workers = args.workers or sweep.settings.SWEEP_WORKERS
    bare = benchutil.Floor(BARE_TABLES)
    bare.snapshot()
    floors = [bare.run(floor_work)]
    benchutil.settle(args.size)
    elapsed, statements, run = timed_sweep(workers)
    floors.append(bare.run(floor_work, outcome=lambda c: benchutil.counts(c, FLOOR_OUTCOME)))
    bare.drop()
    with connection.cursor() as cursor:
        benchutil.same_outcome(benchutil.counts(cursor, PORTAL_OUTCOME), bare.outcome)
    # lock, get-or-create (2), 2 candidate probes, finish, reload, unlock; with workers, the
    # range query too. Batch statements: three per batch (the revocation, the places returned to
    # the recovered pool, the run's counters), plus the empty end of the keyset walk (serial) or
    # the last, empty range when the count divides evenly (workers).
    fixed = 8 + (1 if workers > 1 else 0)
    per_batch = 3
    empty = statements - fixed - per_batch * run.batches
    benchutil.report(
        f"sweep {args.size:,} selected, {run.revoked:,} past the deadline",
        elapsed,
        floors,
        detail=f"{workers} worker(s), {run.batches} batches of at most "
        f"{sweep.settings.SWEEP_BATCH_SIZE:,}, {statements} SQL statements = {fixed} fixed + "
        f"{per_batch} x {run.batches} + {empty} empty",
    )
    before = counts()
    elapsed, statements, rerun = timed_sweep(workers)
    after = counts()
    print(
        f"  rerun for the same cut-off: {elapsed:.2f} s, {statements} SQL statements, "
        f"changes: {'none' if before == after else f'{before} -> {after}'}; "
        f"rows: ledger {after[0]:,}, events {after[1]:,}, blacklist {after[2]:,}, "
        f"recovered {after[3]:,}, revoked {after[4]:,}"
    )
    if before != after or rerun.revoked != run.revoked:
        raise SystemExit("bench_sweep: the rerun changed something")


def counts() -> tuple:
    return (
        scalar("SELECT count(*) FROM participants_ledgerentry"),
        scalar("SELECT count(*) FROM participants_participantevent"),
        scalar("SELECT count(*) FROM participants_blacklistentry"),
        scalar("SELECT coalesce(sum(recovered), 0) FROM trainings_recoveredquota"),
        scalar("SELECT count(*) FROM participants_participant WHERE status = 'revoked'"),
    )


if __name__ == "__main__":
    main()
