"""Selection benchmark: load N applicants with seed_load, run the selection, print the time and
the number of SQL statements.

    DATABASE_URL=postgres://.../prakerja_bench .venv/bin/python scripts/bench_selection.py \
        --applicants 10000 1000000

Runs against the database in DATABASE_URL (PostgreSQL only; it adds data, use a scratch
database). Each size gets a fresh closed wave with province quotas totalling --places-ratio of
the applicants (default 10%; the real program had 2-10%). Statements are counted with a
connection execute wrapper, plus one for the COMMIT.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prakerja.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from benchutil import floor_seconds, report_ratio, settle  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from participants.models import Wave  # noqa: E402
from participants.selection import run_selection  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--places-ratio", type=float, default=0.10)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_selection needs PostgreSQL (DATABASE_URL)")
    print(f"bench_selection: cpus={os.cpu_count()} load_avg={os.getloadavg()[0]:.1f}")
    for n in args.applicants:
        started = time.monotonic()
        call_command("seed_load", participants=n, quota=int(n * args.places_ratio))
        load_seconds = time.monotonic() - started
        wave = Wave.objects.order_by("-number").first()
        statements: list[tuple[float, str]] = []

        def count(execute, sql, params, many, context, statements=statements):
            began = time.monotonic()
            try:
                return execute(sql, params, many, context)
            finally:
                statements.append((time.monotonic() - began, " ".join(sql.split())[:60]))

        settle()  # a real wave's rows are days old, not being written out
        floors = [floor_seconds()]
        settle()
        load_avg = os.getloadavg()[0]
        started = time.monotonic()
        # An outer transaction, so the COMMIT (WAL flush and the deferred foreign-key checks
        # of every inserted or updated row) is timed on its own. The announcement is not queued:
        # no worker consumes it here.
        with mock.patch("participants.selection._enqueue_announcement"), transaction.atomic():
            with connection.execute_wrapper(count):
                run = run_selection(wave=wave, seed=f"bench-{n}", now=wave.closes_at)
            committing = time.monotonic()
        commit_seconds = time.monotonic() - committing
        seconds = time.monotonic() - started
        print(
            f"N={n:>9,} selection_seconds={seconds:6.1f} (commit {commit_seconds:.1f}) "
            f"statements={len(statements) + 1} "
            f"selected={run.selected:,} not_selected={run.not_selected:,} "
            f"load_seconds={load_seconds:6.1f} load_avg_at_start={load_avg:.1f}",
            flush=True,
        )
        for spent, sql in sorted(statements, reverse=True)[:6]:
            print(f"    {spent:6.1f}s  {sql}", flush=True)
        floors.append(floor_seconds())
        report_ratio(f"selection N={n:,}", seconds, floors)


if __name__ == "__main__":
    main()
