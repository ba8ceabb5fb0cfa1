"""Re-check benchmark: N participants holding cards against an exclusion list of 5 x N NIKs,
``recheck_eligibility`` beside its floor.

Loads N selected participants with ``seed_load`` (half of them active), imports one version of
the BSU list with --list-rows NIKs (default 5 x N) naming --listed-share of the participants
(default 3%), then times ``participants.eligibility.recheck.recheck`` (one INSERT ... SELECT
into the review queue), COMMIT included, and a rerun (nobody new to flag).

The floor: the same matching as plain SQL on bare tables holding the same rows (participants'
id, NIK hash, status and wave; the list's entries; the lists in force; the exceptions): one
INSERT ... SELECT of every card holder on the list, not lifted by an exception, into a bare
review table, COMMIT included. The script stops if the floor flags other people than the
portal.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_recheck.py --size 1000000
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil


def arguments(parser) -> None:
    parser.add_argument(
        "--list-rows", type=int, default=None, help="NIKs on the list (default 5 x the size)"
    )
    parser.add_argument("--listed-share", type=float, default=0.03)


args = benchutil.start(__doc__, size=1_000_000, unit="participants", arguments=arguments)

import listdata  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from participants.eligibility import recheck  # noqa: E402
from participants.models import Participant  # noqa: E402

BARE_TABLES = {
    "participant": "SELECT id, nik_hash, status, wave_id FROM participants_participant",
    "entry": "SELECT list_id, nik_hash FROM participants_agencylistentry",
    "list": "SELECT id AS list_id, source FROM participants_agencylist "
    "WHERE status = 'active' AND valid_until >= %(today)s AND source <> 'phk'",
    "exception": "SELECT nik_hash, source FROM participants_listexception "
    "WHERE ended_at IS NULL AND valid_until >= %(today)s",
    "review": "SELECT participant_id, source, agency_list_id AS list_id, wave_id, flagged_at "
    "FROM participants_eligibilityreview WHERE false",
}

FLOOR_FLAG = """
    INSERT INTO bare_review (participant_id, source, list_id, wave_id, flagged_at)
    SELECT p.id, l.source, l.list_id, p.wave_id, %(now)s
    FROM bare_entry e
    JOIN bare_list l ON l.list_id = e.list_id
    JOIN bare_participant p ON p.nik_hash = e.nik_hash
    WHERE p.status IN ('selected', 'active', 'frozen', 'expired', 'finished')
        AND NOT EXISTS (SELECT 1 FROM bare_exception x
                        WHERE x.nik_hash = e.nik_hash AND x.source = l.source)
"""

FLOOR_OUTCOME = {
    "flagged": "SELECT count(*) FROM bare_review",
    "who": "SELECT md5(string_agg(participant_id::text, ',' ORDER BY participant_id)) "
    "FROM bare_review",
}
PORTAL_OUTCOME = {
    "flagged": "SELECT count(*) FROM participants_eligibilityreview",
    "who": "SELECT md5(string_agg(participant_id::text, ',' ORDER BY participant_id)) "
    "FROM participants_eligibilityreview",
}


def main() -> None:
    n = args.size
    list_rows = 5 * n if args.list_rows is None else args.list_rows
    now = timezone.now()
    with benchutil.stopwatch() as load:
        call_command("seed_load", participants=n, selected=n)
        imported = listdata.import_exclusion_lists(
            listdata.listed_niks(Participant.objects.all(), share=args.listed_share),
            rows=list_rows,
            sources=["bsu"],
        )
    params = {"now": now, "today": timezone.localdate(now)}
    bare = benchutil.Floor(BARE_TABLES, params)
    bare.snapshot()

    def work(cursor) -> None:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(FLOOR_FLAG, params)

    floors = [bare.run(work)]
    benchutil.settle(n + list_rows)
    with benchutil.stopwatch() as watch:
        summary = recheck.recheck(now=now)
    with benchutil.stopwatch() as rerun:
        again = recheck.recheck(now=now)
    floors.append(bare.run(work, outcome=lambda c: benchutil.counts(c, FLOOR_OUTCOME)))
    bare.drop()
    with connection.cursor() as cursor:
        benchutil.same_outcome(benchutil.counts(cursor, PORTAL_OUTCOME), bare.outcome)
    if again.flagged:
        raise SystemExit(f"bench_recheck: the rerun flagged {again.flagged} more")
    benchutil.report(
        f"re-check {n:,} card holders against a list of {imported:,} NIKs",
        watch.seconds,
        floors,
        detail=f"flagged {summary.flagged:,}; rerun {rerun.seconds:.2f} s, flagged 0; "
        f"loaded in {load.seconds:.1f} s",
    )


if __name__ == "__main__":
    main()
