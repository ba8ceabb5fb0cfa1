"""Selection benchmark: N applicants in a closed wave, the selection run, beside its floor.

Loads N applicants with ``seed_load`` (a closed wave with province quotas totalling
--places-ratio of them, default 10%; the real program had 2-10%; 1% on the laid-off workers'
priority list), imports the nine exclusion lists with --list-rows NIKs in all (default five per
applicant) naming --listed-share of the applicants (default 3%), then times
``participants.waves.selection.run_selection`` with its COMMIT, and prints its SQL statements.
``--list-rows 0`` measures the same selection without exclusion lists. ``--paired N`` also
times the selection with and without the lists on the same rows, N times each, alternating
(with, without, without, with, ...), each run rolled back and followed by a VACUUM, so that the
lists' cost is measured apart from a shared machine's drift between two separate runs.

The floor: the same decision and grant as plain SQL on bare tables holding the same rows
(applications, participants, quotas, blacklist, the lists' entries), in one transaction with the
same ``work_mem``: the eligibility reasons (the lists' among them), the family-card limit, the
seeded draw per province
(``md5(seed || ':' || id)`` after the priority tier), the quota cut, the grant (status, wave,
card, balance, deadlines) with its GRANT ledger entry and audit row, and every application's
outcome. Not in the floor: drawing random card numbers (it derives them from the id) and the
run's bookkeeping. The script stops if the floor's counts (selected, grants, audit rows,
decisions by reason, and who is selected) differ from the portal's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_selection.py --size 1000000
"""

import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil


def arguments(parser) -> None:
    parser.add_argument("--places-ratio", type=float, default=0.10)
    parser.add_argument(
        "--list-rows",
        type=int,
        default=None,
        help="NIKs on the exclusion lists in all (default 5 x the size; 0: no exclusion list)",
    )
    parser.add_argument("--listed-share", type=float, default=0.03)
    parser.add_argument(
        "--paired",
        type=int,
        default=0,
        help="before the timed run, time the selection N times with the lists and N times "
        "without them on the same rows (alternating, each rolled back), for the lists' cost",
    )


args = benchutil.start(
    __doc__, size=1_000_000, unit="applicants", aliases=("--applicants",), arguments=arguments
)

import listdata  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from participants.cards import deadlines  # noqa: E402
from participants.eligibility import sources  # noqa: E402
from participants.models import Application, Participant, Wave  # noqa: E402
from participants.waves.selection import age_cutoffs, run_selection  # noqa: E402

# Each list source's place in the fixed order of reasons, and its reason code (constants).
POSITIONS = " ".join(f"WHEN '{code}' THEN {i + 1}" for i, code in enumerate(sources.RULES))
REASONS = " ".join(f"WHEN '{code}' THEN '{r.reason_code}'" for code, r in sources.RULES.items())
LISTED = "reason_code LIKE 'excluded\\_%%' OR reason_code LIKE 'other\\_aid\\_%%'"

# The rows the floor starts from, copied before the selection changes them.
BARE_TABLES = {
    "participant": """
        SELECT p.id, p.province_id, p.nik_hash, p.kk_hash, p.registry_status, p.birth_date,
               p.is_student, p.is_civil_servant, p.receives_social_aid, p.status, p.wave_id,
               p.card_number, p.balance_idr, p.balance_expires_at, p.selected_at,
               p.first_purchase_deadline, p.updated_at
        FROM participants_participant p
    """,
    "application": """
        SELECT id, participant_id, status, reason_code, priority_tier, draw_rank, decided_at
        FROM participants_application WHERE wave_id = %(wave)s
    """,
    "quota": "SELECT province_id, quota FROM participants_waveprovincequota "
    "WHERE wave_id = %(wave)s",
    "blacklist": "SELECT nik_hash FROM participants_blacklistentry WHERE removed_at IS NULL",
    "entry": "SELECT list_id, nik_hash FROM participants_agencylistentry",
    "list": f"""
        SELECT l.id AS list_id, l.source, CASE l.source {POSITIONS} END AS position,
            l.source = '{sources.Source.LAID_OFF}' AS priority,
            CASE l.source {REASONS} END AS reason
        FROM participants_agencylist l WHERE l.status = 'active'
    """,
    "exception": "SELECT nik_hash, source FROM participants_listexception "
    "WHERE ended_at IS NULL AND valid_until >= %(today)s",
    "ledger": "SELECT participant_id, kind, amount_idr, balance_after_idr, reference, created_at "
    "FROM participants_ledgerentry WHERE false",
    "event": "SELECT participant_id, kind, from_status, to_status, reason_code, note, created_at "
    "FROM participants_participantevent WHERE false",
}

FLOOR_DECISION = """
    CREATE TEMP TABLE bare_decision ON COMMIT DROP AS
    WITH listed AS (
        SELECT e.nik_hash,
            (array_agg(l.reason ORDER BY l.position) FILTER (WHERE NOT l.priority))[1] AS reason,
            bool_or(l.priority) AS priority
        FROM bare_entry e JOIN bare_list l ON l.list_id = e.list_id
        WHERE e.nik_hash IN (SELECT p.nik_hash FROM bare_application a
                             JOIN bare_participant p ON p.id = a.participant_id)
            AND NOT EXISTS (SELECT 1 FROM bare_exception x
                            WHERE x.nik_hash = e.nik_hash AND x.source = l.source)
        GROUP BY e.nik_hash
    ),
    base AS (
        SELECT a.id AS application_id, p.id AS participant_id, p.province_id, p.kk_hash,
            CASE WHEN w.priority THEN 0 ELSE 1 END AS tier, q.quota,
            md5(%(seed)s || ':' || p.id) AS draw_key,
            CASE
                WHEN p.status <> 'applicant' OR p.wave_id IS NOT NULL THEN 'already_participant'
                WHEN b.nik_hash IS NOT NULL THEN 'blacklisted'
                WHEN p.registry_status <> 'match' THEN 'identity_not_verified'
                WHEN p.birth_date > %(youngest)s THEN 'too_young'
                WHEN p.birth_date <= %(oldest)s THEN 'too_old'
                WHEN p.is_student THEN 'student'
                WHEN p.is_civil_servant THEN 'civil_servant'
                WHEN p.receives_social_aid THEN 'other_social_aid'
                WHEN w.reason IS NOT NULL THEN w.reason
                WHEN q.quota IS NULL THEN 'outside_quota_region'
            END AS reason
        FROM bare_application a
        JOIN bare_participant p ON p.id = a.participant_id
        LEFT JOIN listed w ON w.nik_hash = p.nik_hash
        LEFT JOIN bare_blacklist b ON b.nik_hash = p.nik_hash
        LEFT JOIN bare_quota q ON q.province_id = p.province_id
    ),
    -- At most two participants per family card, earlier waves included: ranked only within
    -- the families that could exceed it.
    crowded AS (
        SELECT f.kk_hash, COALESCE(e.n, 0) AS n
        FROM (SELECT kk_hash, count(*) AS size FROM base
              WHERE reason IS NULL AND kk_hash <> '' GROUP BY kk_hash) f
        LEFT JOIN (SELECT kk_hash, count(*) AS n FROM bare_participant
                   WHERE wave_id IS NOT NULL AND kk_hash <> '' GROUP BY kk_hash) e
            ON e.kk_hash = f.kk_hash
        WHERE f.size + COALESCE(e.n, 0) > 2
    ),
    over_limit AS (
        SELECT participant_id FROM (
            SELECT b.participant_id, c.n + row_number() OVER (
                PARTITION BY b.kk_hash ORDER BY b.tier, b.draw_key COLLATE "C", b.participant_id
            ) AS kk_rank
            FROM base b JOIN crowded c ON c.kk_hash = b.kk_hash
            WHERE b.reason IS NULL
        ) ranked_in_family
        WHERE kk_rank > 2
    ),
    checked AS (
        SELECT b.application_id, b.participant_id, b.province_id, b.tier, b.quota, b.draw_key,
            COALESCE(b.reason, CASE WHEN o.participant_id IS NOT NULL
                                    THEN 'family_card_limit' END) AS reason
        FROM base b LEFT JOIN over_limit o ON o.participant_id = b.participant_id
    ),
    ranked AS (
        SELECT checked.*, row_number() OVER (
            PARTITION BY province_id COLLATE "C"
            ORDER BY tier, draw_key COLLATE "C", participant_id
        ) AS position
        FROM checked WHERE reason IS NULL
    )
    SELECT application_id, participant_id, tier, position AS draw_rank,
        position <= quota AS selected,
        CASE WHEN position <= quota THEN '' ELSE 'quota_full' END AS reason
    FROM ranked
    UNION ALL
    SELECT application_id, participant_id, tier, NULL, false, reason FROM checked
    WHERE reason IS NOT NULL
"""

FLOOR_GRANT = """
    WITH moved AS (
        UPDATE bare_participant p
        SET status = 'selected', wave_id = %(wave)s, selected_at = %(announced)s,
            first_purchase_deadline = %(deadline)s,
            card_number = '5890' || lpad(p.id::text, 12, '0'),
            balance_idr = p.balance_idr + %(amount)s, balance_expires_at = %(expires)s,
            updated_at = %(now)s
        FROM bare_decision d
        WHERE d.selected AND p.id = d.participant_id
        RETURNING p.id, p.balance_idr
    ),
    events AS (
        INSERT INTO bare_event (participant_id, kind, from_status, to_status, reason_code, note,
                                created_at)
        SELECT id, 'status', 'applicant', 'selected', 'selected', %(note)s, %(now)s FROM moved
    )
    INSERT INTO bare_ledger (participant_id, kind, amount_idr, balance_after_idr, reference,
                             created_at)
    SELECT id, 'grant', %(amount)s, balance_idr, %(reference)s, %(announced)s FROM moved
"""

FLOOR_OUTCOMES = """
    UPDATE bare_application a
    SET status = CASE WHEN d.selected THEN 'selected' ELSE 'not_selected' END,
        reason_code = d.reason, priority_tier = d.tier, draw_rank = d.draw_rank,
        decided_at = %(now)s
    FROM bare_decision d
    WHERE a.id = d.application_id
"""


def floor_work(params: dict):
    def work(cursor) -> None:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(FLOOR_DECISION, params)
        cursor.execute(FLOOR_GRANT, params)
        cursor.execute(FLOOR_OUTCOMES, params)

    return work


FLOOR_OUTCOME = {
    "selected": "SELECT count(*) FROM bare_participant WHERE status = 'selected'",
    "who": "SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM bare_participant "
    "WHERE status = 'selected'",
    "grants": "SELECT count(*) FROM bare_ledger",
    "audit rows": "SELECT count(*) FROM bare_event",
    "decided": "SELECT count(*) FROM bare_application WHERE decided_at IS NOT NULL",
    "quota_full": "SELECT count(*) FROM bare_application WHERE reason_code = 'quota_full'",
    "family_card_limit": "SELECT count(*) FROM bare_application "
    "WHERE reason_code = 'family_card_limit'",
    "blacklisted": "SELECT count(*) FROM bare_application WHERE reason_code = 'blacklisted'",
    "listed": f"SELECT count(*) FROM bare_application WHERE {LISTED}",
    "laid-off first": "SELECT count(*) FROM bare_application WHERE priority_tier = 0",
}
PORTAL_OUTCOME = {
    "selected": "SELECT count(*) FROM participants_participant WHERE status = 'selected'",
    "who": "SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM participants_participant "
    "WHERE status = 'selected'",
    "grants": "SELECT count(*) FROM participants_ledgerentry WHERE kind = 'grant'",
    "audit rows": "SELECT count(*) FROM participants_participantevent",
    "decided": "SELECT count(*) FROM participants_application WHERE decided_at IS NOT NULL",
    "quota_full": "SELECT count(*) FROM participants_application WHERE reason_code = 'quota_full'",
    "family_card_limit": "SELECT count(*) FROM participants_application "
    "WHERE reason_code = 'family_card_limit'",
    "blacklisted": "SELECT count(*) FROM participants_application "
    "WHERE reason_code = 'blacklisted'",
    "listed": f"SELECT count(*) FROM participants_application WHERE {LISTED}",
    "laid-off first": "SELECT count(*) FROM participants_application WHERE priority_tier = 0",
}


def main() -> None:
    n = args.size
    places = max(1, int(n * args.places_ratio))
    with benchutil.stopwatch() as load:
        call_command("seed_load", participants=n, quota=places)
    wave = Wave.objects.order_by("-number").first()
    list_rows = 5 * n if args.list_rows is None else args.list_rows
    if list_rows:
        applicants = Participant.objects.filter(
            pk__in=Application.objects.filter(wave=wave).values("participant_id")
        )
        with benchutil.stopwatch() as listing:
            listing.rows = listdata.import_exclusion_lists(
                listdata.listed_niks(applicants, share=args.listed_share), rows=list_rows
            )
        print(f"  exclusion lists: {listing.rows:,} NIKs imported in {listing.seconds:.1f} s")
    youngest, oldest = age_cutoffs(wave)
    params = {
        "wave": wave.pk,
        "seed": f"bench-{n}",
        "youngest": youngest,
        "oldest": oldest,
        "announced": wave.announces_at,
        "deadline": deadlines.first_purchase_deadline(wave.announces_at),
        "expires": deadlines.balance_expiry(wave.announces_at),
        "amount": settings.TRAINING_BALANCE_IDR,
        "now": wave.closes_at,
        "note": f"Seleksi gelombang {wave.number}",
        "reference": f"wave:{wave.number}",
    }
    bare = benchutil.Floor(BARE_TABLES, {"wave": wave.pk, "today": wave.closes_at.date()})
    bare.snapshot()
    floors = [bare.run(floor_work(params))]

    statements: list[tuple[float, str]] = []

    def count(execute, sql, sql_params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, sql_params, many, context)
        finally:
            statements.append((time.perf_counter() - began, " ".join(sql.split())[:60]))

    benchutil.settle(n)  # a real wave's rows are days old, not being written out
    if args.paired and list_rows:
        paired_lists(wave, params["seed"], args.paired)
    # An outer transaction, so that the COMMIT (WAL flush and the deferred foreign-key checks of
    # every inserted or updated row) is timed too. The announcement is not queued: no worker
    # consumes it here.
    with (
        benchutil.stopwatch() as watch,
        mock.patch("participants.waves.selection._enqueue_announcement"),
        transaction.atomic(),
        connection.execute_wrapper(count),
    ):
        run = run_selection(wave=wave, seed=params["seed"], now=wave.closes_at)
    floors.append(
        bare.run(floor_work(params), outcome=lambda c: benchutil.counts(c, FLOOR_OUTCOME))
    )
    bare.drop()
    with connection.cursor() as cursor:
        benchutil.same_outcome(benchutil.counts(cursor, PORTAL_OUTCOME), bare.outcome)
    benchutil.report(
        f"selection {n:,} applicants, {places:,} places, "
        + (f"exclusion lists of {list_rows:,} NIKs" if list_rows else "no exclusion list"),
        watch.seconds,
        floors,
        detail=f"{len(statements) + 1} SQL statements; selected {run.selected:,}, "
        f"not selected {run.not_selected:,}; loaded in {load.seconds:.1f} s",
    )
    for spent, sql in sorted(statements, reverse=True)[:6]:
        print(f"    {spent:6.2f} s  {sql}")


def paired_lists(wave, seed: str, runs: int) -> None:
    """The selection with its lists beside the same selection with none in force, on the same
    rows: ``runs`` of each, in the order with, without, without, with, ... (so a drift of the
    machine's load weighs on both), each in a transaction rolled back and followed by a VACUUM
    of the tables it wrote (so every run starts from the same pages). Beside wall time, the
    database backend's CPU time, which a busy machine disturbs far less."""
    times: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for with_lists in [i % 4 in (0, 3) for i in range(2 * runs)]:
        patches = [mock.patch("participants.waves.selection._enqueue_announcement")]
        if not with_lists:
            patches.append(
                mock.patch("participants.waves.selection.lists_in_force", return_value=[])
            )
        cpu_before = benchutil.backend_cpu_seconds()
        with benchutil.stopwatch() as watch:
            try:
                with transaction.atomic():
                    for patch in patches:
                        patch.start()
                    run_selection(wave=wave, seed=seed, now=wave.closes_at)
                    raise _RolledBack
            except _RolledBack:
                pass
            finally:
                for patch in patches:
                    patch.stop()
        times[with_lists].append(watch.seconds)
        cpu[with_lists].append(benchutil.backend_cpu_seconds() - cpu_before)
        with connection.cursor() as cursor:
            for table in ("participants_application", "participants_participant"):
                cursor.execute(f"VACUUM {table}")

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    def listed(values: list[float]) -> str:
        return ", ".join(f"{v:.1f}" for v in values)

    with_lists, without = mean(times[True]), mean(times[False])
    print(
        f"selection with the lists vs without, same rows, {runs} runs each (rolled back): "
        f"{with_lists:.1f} s | without {without:.1f} s | ratio {with_lists / without:.2f} | "
        f"{benchutil.command()}"
    )
    print(f"  wall: with {listed(times[True])} s; without {listed(times[False])} s")
    if all(cpu[True]) and all(cpu[False]):
        print(
            f"  database CPU: with {listed(cpu[True])} s; without {listed(cpu[False])} s; "
            f"ratio {mean(cpu[True]) / mean(cpu[False]):.2f}"
        )


class _RolledBack(Exception):
    pass


if __name__ == "__main__":
    main()
