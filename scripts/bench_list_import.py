"""List import benchmark: a CSV of N NIKs imported as a new version of a source's list,
replacing the version in force, beside a plain COPY of the same file.

Writes a CSV of N synthetic NIKs (a header line and one 16-digit NIK a line) to a temporary
file, imports it once as the first version of the BSU list (not timed), then times a second
import of the same file as the next version: ``participants.eligibility.lists.import_list``
reading the file, checking and hashing each NIK (the project's keyed hash) in this process,
streaming the hashes with COPY, and marking the new version in force and the old one replaced,
COMMIT included. The deletion of the replaced version's rows, which follows in a queued task, is
timed apart (``purge``).

The floor: PostgreSQL's own ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of the same file into a
bare table (one text column), COMMIT included: reading the file and writing its rows, with no
check, no hash and no swap.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_list_import.py --size 5000000
"""

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil

args = benchutil.start(__doc__, size=5_000_000, unit="NIKs")

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from participants.eligibility import lists  # noqa: E402
from participants.models import AgencyList  # noqa: E402

FIRST_NIK = 3201010101000001


def write_file(path: Path, n: int) -> None:
    """N distinct 16-digit NIKs, one a line, after a header."""
    with path.open("w", encoding="ascii") as out:
        out.write("nik\n")
        for start in range(0, n, 100_000):
            numbers = range(FIRST_NIK + start, FIRST_NIK + min(start + 100_000, n))
            out.write("".join(f"{number}\n" for number in numbers))


def plain_copy(path: Path):
    def work(cursor) -> None:
        with path.open("rb") as stream:
            cursor.copy_expert(
                "COPY bare_nik (nik) FROM STDIN WITH (FORMAT csv, HEADER true)", stream
            )

    return work


def do_import(path: Path) -> lists.ImportResult:
    today = timezone.localdate()
    with path.open("rb") as stream:
        return lists.import_list(
            source="bsu",
            stream=stream,
            list_date=today,
            valid_until=today + dt.timedelta(days=180),
            file_name=path.name,
            follow_up=False,
        )


def main() -> None:
    n = args.size
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bsu.csv"
        with benchutil.stopwatch() as written:
            write_file(path, n)
        size_mb = os.path.getsize(path) / 1e6
        bare = benchutil.Floor({"nik": "SELECT ''::text AS nik WHERE false"})
        bare.snapshot()
        floors = [bare.run(plain_copy(path))]
        # What an import queues after its commit (the purge, the re-check) is not queued here;
        # the purge is timed apart.
        first = do_import(path)
        benchutil.settle(n)
        with benchutil.stopwatch() as watch:
            result = do_import(path)
        with benchutil.stopwatch() as purge:
            purged = lists.purge_replaced()
        floors.append(bare.run(plain_copy(path)))
        bare.drop()
    new = result.agency_list
    if (new.rows, new.version, result.replaced.pk) != (n, 2, first.agency_list.pk):
        raise SystemExit(f"bench_list_import: unexpected import {new.rows=} {new.version=}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT list_id, count(*) FROM participants_agencylistentry GROUP BY 1")
        if cursor.fetchall() != [(new.pk, n)] or purged != n or AgencyList.objects.count() != 2:
            raise SystemExit("bench_list_import: the new version did not replace the old one")
    benchutil.report(
        f"list import {n:,} NIKs, replacing a version of {n:,}",
        watch.seconds,
        floors,
        count=n,
        unit="NIKs",
        detail=f"file {size_mb:,.0f} MB written in {written.seconds:.1f} s; COMMIT included; "
        f"then the replaced version's {purged:,} rows deleted in {purge.seconds:.1f} s",
    )


if __name__ == "__main__":
    main()
