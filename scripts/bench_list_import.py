"""List import benchmark: a CSV of N NIKs imported as a new version of a source's list,
replacing the version in force, beside a plain COPY of the same file.

Writes a CSV of N synthetic NIKs (a header line and one 16-digit NIK a line) to a temporary
file, imports it once as the first version of the BSU list (not timed), then times a second
import of the same file as the next version: ``participants.eligibility.lists.import_list``
reading the file, checking and hashing each NIK (the project's keyed hash) in this process,
streaming the hashes with COPY into the new version's table, and swapping it in for the old one
(attach the new partition, detach and drop the old), COMMIT included.

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
from unittest import mock

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
        # The re-check an import queues after its commit is not part of the import.
        with mock.patch("participants.eligibility.lists.jobs.enqueue_on_commit"):
            first = do_import(path)
            benchutil.settle(n)
            with benchutil.stopwatch() as watch:
                result = do_import(path)
        floors.append(bare.run(plain_copy(path)))
        bare.drop()
    new = result.agency_list
    if (new.rows, new.version, result.replaced.pk) != (n, 2, first.agency_list.pk):
        raise SystemExit(f"bench_list_import: unexpected import {new.rows=} {new.version=}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM participants_agencylistentry")
        if cursor.fetchone()[0] != n or AgencyList.objects.count() != 2:
            raise SystemExit("bench_list_import: the new version did not replace the old one")
    benchutil.report(
        f"list import {n:,} NIKs, replacing a version of {n:,}",
        watch.seconds,
        floors,
        count=n,
        unit="NIKs",
        detail=f"file {size_mb:,.0f} MB written in {written.seconds:.1f} s; COMMIT included",
    )


if __name__ == "__main__":
    main()
