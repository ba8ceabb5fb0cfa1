"""The benchmark scripts' harness: the size argument, the database setup, timing, floors, and
the one line every figure is printed on::

    <name>: <figure> | floor <floor> | ratio <r> | <command that reproduces it>

The figure is the portal doing a job through its own code. The floor is the same logical work
written as plain SQL on bare tables (a primary key and nothing else: no other index, no
constraint, trigger or foreign key) holding the same rows, timed in the same run, once before
and once after the figure (the line shows their mean). The ratio is the figure's time over the
floor's: 8.6 means the portal takes 8.6 times as long as the least the database must do. A busy
machine slows both, so the ratio says more than either figure alone.

A benchmark script::

    import benchutil

    args = benchutil.start(__doc__, size=1_000_000, unit="applicants")
    # Django is set up; the database is migrated and the program's tables are empty.
    ... load args.size rows ...
    bare = benchutil.Floor({"applicant": "SELECT ... FROM participants_participant ..."})
    bare.snapshot()
    floors = [bare.run(work)]
    with benchutil.stopwatch() as watch:
        ... the portal's job ...
    floors.append(bare.run(work))
    benchutil.report("selection", watch.seconds, floors)

Every script takes ``--size N`` (its full size by default, the size the README quotes) and runs
against the PostgreSQL database in DATABASE_URL, whose name must contain "bench" (it is
emptied). ``tests/test_benchmarks_run.py`` runs each script at a tiny size in CI and checks its
lines.
"""

import argparse
import contextlib
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

# One figure's line; tests and readers parse it.
LINE = re.compile(
    r"^(?P<name>[^|:]+): (?P<figure>[^|]+?) \| floor (?P<floor>[^|]+?) \| "
    r"ratio (?P<ratio>\d[\d,]*(?:\.\d+)?) \| (?:(?P<extra>[^|]+?) \| )?(?P<command>\S.*)$"
)
# A scratch database's name contains one of these (the scripts empty it).
SCRATCH_MARKS = ("bench",)

_state: dict = {}


# --- start ----------------------------------------------------------------------------------------


def start(
    doc: str,
    *,
    size: int,
    unit: str,
    aliases: tuple[str, ...] = (),
    arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    env: dict[str, str] | None = None,
    empty: bool = True,
) -> argparse.Namespace:
    """Parse the command line (``--size`` plus the script's own ``arguments``), set up Django
    with ``env`` (default: DEBUG on, the scripts' usual development settings), refuse a
    database that is not a scratch one, migrate it if it is behind, and, when ``empty`` and the
    script's ``--keep`` is not given, empty the program's tables. Returns the arguments."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", *aliases, dest="size", type=int, default=size,
        help=f"how many {unit} (default {size:,}, the README's figure)",
    )  # fmt: skip
    parser.add_argument(
        "--yardstick",
        action="store_true",
        help="also time a fixed 1,000,000-row PostgreSQL job (machine speed), as an extra column",
    )
    if arguments:
        arguments(parser)
    args = parser.parse_args()
    if args.size < 1:
        parser.error("--size must be at least 1")
    _state.update(args=args, argv=list(sys.argv))

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prakerja.settings")
    for key, value in (env if env is not None else {"DEBUG": "1"}).items():
        os.environ[key] = value
    import django

    django.setup()
    require_scratch_database()
    migrate_if_needed()
    drop_bare_tables()
    if empty and not getattr(args, "keep", False):
        truncate_program_tables()
    name = Path(sys.argv[0]).stem
    print(
        f"{name}: size={args.size:,} {unit}, database {database_name()}, "
        f"cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return args


def database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def require_scratch_database(marks: tuple[str, ...] = SCRATCH_MARKS) -> None:
    name = database_name()
    if not any(mark in name for mark in marks):
        raise SystemExit(
            f"{Path(sys.argv[0]).name}: refusing database {name!r}; it empties the program's "
            f"tables, so DATABASE_URL must name a scratch database containing "
            f"{' or '.join(repr(m) for m in marks)}"
        )


def migrate_if_needed() -> None:
    """Apply the migrations the database lacks (a new scratch database: all of them)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"  migrated the database in {time.perf_counter() - started:.1f} s", flush=True)


def truncate_program_tables() -> None:
    """Empty the program's tables (participants, trainings, incentives, complaints, admin log)
    of the benchmark database, so every run starts from the same state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND (tablename LIKE 'participants_%%' "
            "OR tablename LIKE 'trainings_%%' OR tablename LIKE 'incentives_%%' "
            "OR tablename LIKE 'complaints_%%' OR tablename LIKE 'reports_%%' "
            "OR tablename = 'django_admin_log' OR tablename = 'django_session')"
        )
        cursor.execute(f"TRUNCATE {cursor.fetchone()[0]} RESTART IDENTITY CASCADE")


def drop_bare_tables() -> None:
    """Drop the floors' tables a stopped run left behind."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND (tablename LIKE 'bare\\_%%' "
            "OR tablename LIKE 'bench\\_src\\_%%')"
        )
        tables = cursor.fetchone()[0]
        if tables:
            cursor.execute(f"DROP TABLE {tables}")


# --- timing -------------------------------------------------------------------------------------


class Stopwatch:
    seconds: float = 0.0


@contextlib.contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """``with stopwatch() as watch: ...``; then ``watch.seconds`` (wall time)."""
    watch = Stopwatch()
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started


SETTLE_FROM_ROWS = 10_000


def settle(rows: int) -> None:
    """Flush what loading ``rows`` rows wrote before timing: a CHECKPOINT, the OS cache, and a
    pause that grows with the load (nothing below ``SETTLE_FROM_ROWS``: a CI-size run).

    Otherwise the job is measured while the server and the kernel still write the load out; a
    real job reads rows written days or weeks earlier. CHECKPOINT needs a superuser (or the
    pg_checkpoint role); without it the script says so and goes on.
    """
    from django.db import DatabaseError, connection

    if rows < SETTLE_FROM_ROWS:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        print(f"  (no CHECKPOINT before timing: {exc})".strip())
    os.sync()
    time.sleep(min(5.0, rows / 200_000))


# --- floors -------------------------------------------------------------------------------------


class Floor:
    """Bare tables for a floor, and the floor's timing.

    ``tables`` maps a name to a SELECT over the portal's tables. :meth:`snapshot` copies those
    rows once (before the job changes them) into ``bench_src_<name>``; each :meth:`run` copies
    the snapshot into ``bare_<name>`` with a primary key on ``id`` (an identity column when the
    SELECT has no ``id``: a table the work inserts into) and nothing else, settles, then times
    ``work(cursor)`` and its COMMIT as one transaction, and drops the bare tables. ``work``
    writes plain SQL against ``bare_<name>``."""

    def __init__(self, tables: dict[str, str], params: dict | None = None):
        self.tables = tables
        self.params = params or {}
        self.rows = 0

    def snapshot(self) -> None:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for name, select in self.tables.items():
                cursor.execute(f"DROP TABLE IF EXISTS bench_src_{name}")
                cursor.execute(f"CREATE TABLE bench_src_{name} AS {select}", self.params)
                self.rows = max(self.rows, cursor.rowcount)

    def build(self) -> None:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for name in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS bare_{name}")
                cursor.execute(f"CREATE TABLE bare_{name} AS TABLE bench_src_{name}")
                cursor.execute(
                    "SELECT 1 FROM information_schema.columns "
                    "WHERE table_name = %s AND column_name = 'id'",
                    [f"bare_{name}"],
                )
                if cursor.fetchone():
                    cursor.execute(f"ALTER TABLE bare_{name} ADD PRIMARY KEY (id)")
                else:
                    cursor.execute(
                        f"ALTER TABLE bare_{name} "
                        "ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                    )
                cursor.execute(f"ANALYZE bare_{name}")

    def run(
        self,
        work: Callable,
        *,
        build: bool = True,
        drop: bool = True,
        outcome: Callable | None = None,
    ) -> float:
        """Seconds for ``work(cursor)`` in one transaction, COMMIT included. ``outcome(cursor)``,
        called after the timing, reads what the work wrote (for :func:`same_outcome`); it is
        kept in ``self.outcome``."""
        steps = self.run_steps({"work": work}, build=build, drop=drop, outcome=outcome)
        return steps["work"]

    def run_steps(
        self,
        steps: dict[str, Callable],
        *,
        build: bool = True,
        drop: bool = True,
        outcome: Callable | None = None,
    ) -> dict[str, float]:
        """:meth:`run` for a job of several steps, each ``step(cursor)`` a transaction of its
        own, in order; returns the seconds of each."""
        from django.db import connection, transaction

        if build:
            self.build()
            settle(self.rows)
        seconds = {}
        for name, step in steps.items():
            with stopwatch() as watch, transaction.atomic(), connection.cursor() as cursor:
                step(cursor)  # the stopwatch stops after the COMMIT
            seconds[name] = watch.seconds
        if outcome:
            with connection.cursor() as cursor:
                self.outcome = outcome(cursor)
        if drop:
            self.drop_bare()
        return seconds

    def repeat(self, work: Callable, *, runs: int) -> list[float]:
        """``runs`` timings of a read-only ``work`` on the bare tables as they are (built by
        :meth:`build`, kept)."""
        return [self.run(work, build=False, drop=False) for _ in range(runs)]

    def drop_bare(self) -> None:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for name in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS bare_{name}")

    def drop(self) -> None:
        from django.db import connection, transaction

        self.drop_bare()
        with transaction.atomic(), connection.cursor() as cursor:
            for name in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS bench_src_{name}")


def counts(cursor, queries: dict[str, str]) -> dict[str, int]:
    """``{name: the single number query returns}``."""
    result = {}
    for name, sql in queries.items():
        cursor.execute(sql)
        result[name] = cursor.fetchone()[0]
    return result


def same_outcome(portal: dict, floor: dict) -> None:
    """Stop unless the floor wrote what the portal wrote (counts of rows by kind): a floor that
    does less work than the job is no floor."""
    if portal != floor:
        raise SystemExit(
            f"{Path(sys.argv[0]).name}: the floor's outcome differs from the portal's: "
            f"portal {portal}, floor {floor}"
        )


def connect():
    """A new psycopg connection to the benchmark database (for floors with several clients)."""
    from django.db import connection

    return connection.get_new_connection(connection.get_connection_params())


YARDSTICK_ROWS = 1_000_000


def yardstick_seconds() -> float:
    """Machine speed, not a floor: PostgreSQL writes 1,000,000 rows into a new table, updates
    each once (new row versions, WAL, like the jobs' updates) and drops it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bare_yardstick")
        started = time.perf_counter()
        cursor.execute(
            "CREATE TABLE bare_yardstick AS "
            "SELECT g AS id, md5(g::text) AS digest FROM generate_series(1, %s) g",
            [YARDSTICK_ROWS],
        )
        cursor.execute("UPDATE bare_yardstick SET digest = md5(digest)")
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bare_yardstick")
    return elapsed


# --- the line -----------------------------------------------------------------------------------


def backend_pid() -> int:
    """The process id of this connection's PostgreSQL backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) a PostgreSQL backend has used so far, by default this
    connection's: steadier than wall time on a busy machine. Needs the server on this machine
    and its /proc readable; 0 when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid or backend_pid()}/stat").read_text()
    except OSError:
        return 0.0
    # utime and stime: fields 14 and 15 of the line, 12th and 13th after the command's name.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command() -> str:
    """The command that reproduces this run (DATABASE_URL without its password, and REDIS_URL
    when set: with it the cache, sessions and rate limits are Redis's)."""
    from django.db import connection

    params = connection.settings_dict
    host = params.get("HOST") or "localhost"
    if host.startswith("/"):
        host = quote(host, safe="")
    port = f":{params['PORT']}" if params.get("PORT") else ""
    user = f"{params['USER']}@" if params.get("USER") else ""
    url = f"postgres://{user}{host}{port}/{params['NAME']}"
    argv = _state.get("argv", sys.argv)
    script = Path(argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(ROOT)
    redis = [f"REDIS_URL={os.environ['REDIS_URL']}"] if os.environ.get("REDIS_URL") else []
    return " ".join([f"DATABASE_URL={url}", *redis, ".venv/bin/python", str(script), *argv[1:]])


def seconds_text(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:,.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.3g} ms"


def rate_text(count: int, seconds: float, unit: str) -> str:
    rate = count / seconds if seconds else float("inf")
    return f"{rate:,.0f} {unit}/s" if rate >= 100 else f"{rate:,.3g} {unit}/s"


def report(
    name: str,
    seconds: float,
    floors: list[float],
    *,
    count: int | None = None,
    unit: str = "",
    detail: str = "",
) -> float:
    """Print the figure's line: ``seconds`` beside the mean of ``floors`` (each the same logical
    work on bare tables, timed in this run), their ratio and the command. With ``count`` and
    ``unit`` the times are shown as rates (``count`` per second). ``detail`` goes on an indented
    line of its own. Returns the ratio."""
    floor = statistics.mean(floors)
    ratio = seconds / floor if floor else float("inf")
    if count is not None:
        figure, floor_text = rate_text(count, seconds, unit), rate_text(count, floor, unit)
    else:
        figure, floor_text = seconds_text(seconds), seconds_text(floor)
    columns = [f"{name}: {figure}", f"floor {floor_text}", f"ratio {ratio:,.2f}"]
    if getattr(_state.get("args"), "yardstick", False):
        columns.append(f"yardstick {yardstick_seconds():.2f} s")
    columns.append(command())
    print(" | ".join(columns), flush=True)
    spread = ", ".join(seconds_text(f) for f in floors)
    print(
        f"  floor runs {spread}; load average {os.getloadavg()[0]:.1f}"
        + (f"; {detail}" if detail else ""),
        flush=True,
    )
    return ratio


# --- shared data ----------------------------------------------------------------------------------


def active_cards(*, users, wave, now, phone_prefix: str = "+62813") -> list:
    """Bulk-create an active participant with a card and the full balance (and its grant in the
    ledger) for each of ``users``, selected in ``wave``: the state the program's services leave
    a person in after selection and orientation, without one query per person."""
    from django.conf import settings

    from participants.cards import deadlines
    from participants.cards import numbers as card_numbers
    from participants.models import LedgerEntry, Participant

    participants = Participant.objects.bulk_create(
        Participant(
            user=user,
            phone=f"{phone_prefix}{i:08d}",
            status=Participant.Status.ACTIVE,
            wave=wave,
            selected_at=wave.announces_at,
            oriented_at=now,
            card_number=card_numbers.new_card_number(),
            first_purchase_deadline=deadlines.first_purchase_deadline(wave.announces_at),
            balance_idr=settings.TRAINING_BALANCE_IDR,
            balance_expires_at=deadlines.balance_expiry(now),
        )
        for i, user in enumerate(users)
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            participant=p,
            kind=LedgerEntry.Kind.GRANT,
            amount_idr=settings.TRAINING_BALANCE_IDR,
            balance_after_idr=settings.TRAINING_BALANCE_IDR,
            created_at=wave.announces_at,
        )
        for p in participants
    )
    return participants
