"""`make loadtest`: the launch-day load test. Not part of `make test` or CI.

1. Empties the program's tables of a PostgreSQL database whose name contains "load" (it refuses
   any other), migrates, and seeds: participants who can log in, active cards for the partner
   platform, complete applicants for an open wave, a catalog, a partner key; sessions for the
   logged-in steps are made in the cache the way ``login()`` makes them.
2. Starts the production processes: gunicorn (DEBUG off, the Procfile's sync workers) serving
   the portal, the same gunicorn serving ``scripts/floor_app.py`` (the floor), and a Celery
   worker, against PostgreSQL and Redis.
3. Runs bounded stages with locust, headless (``loadtest/locustfile.py``): the floors, each page
   and API step at 32 concurrent users, then the peak at five times the waiting room's capacity.
4. Prints a table of req/s, p50/p95/p99 and errors per step, each beside the one-query floor as
   a ratio, and writes it to ``.run/loadtest/report.md``.

With ``--find-capacity``, instead of 3 and 4: the capacity search (about 3 minutes). The
participant mix runs at 8, 16, 32, ... users, then the gap is halved, and the script prints the
largest number of admitted users whose p95 stays under ``--target-p95`` (500 ms) with no error.
That is one host's ADMISSION_CAPACITY (docs/performance.md); ``.run/loadtest/capacity.md``.

Every child process runs in a process group of its own; the script stops them all when it ends,
fails, or gets Ctrl-C, SIGTERM or SIGHUP.

Usage (the Makefile target sets these)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_loadtest \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python scripts/loadtest.py \\
        [--seconds 20] [--users 32] [--capacity 32] [--surge-seconds 60] [--find-capacity]
"""

import argparse
import atexit
import base64
import contextlib
import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
RUN = ROOT / ".run" / "loadtest"
BIN = ROOT / ".venv" / "bin"

# Production settings, except what a load generator on one loopback address cannot do:
# plain HTTP (cookies without the Secure flag) and one client address for every "person"
# (django-ratelimit counts per address; real people each have their own).
LOAD_ENV = {
    "DJANGO_SETTINGS_MODULE": "prakerja.settings",
    "DEBUG": "0",
    "SECRET_KEY": "loadtest-secret-key-not-for-production-0000000000000000",
    "NIK_HASH_KEY": "loadtest-nik-hash-key",
    "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(b"loadtest-fernet-key-32-bytes-000").decode(),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "RATELIMIT_ENABLE": "0",
    "SMS_BACKEND": "file",
    "SMS_FILE_PATH": str(RUN / "sms.jsonl"),
    "ALLOW_FAKE_GATEWAYS": "1",  # DEBUG off on the stand-ins (prakerja/gateways.py)
    "EMAIL_URL": "consolemail://",
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "60",
    "ADMISSION_KEY_PREFIX": "loadtest:ruang-tunggu",
}

import benchutil  # noqa: E402 (scripts/benchutil.py; Django is set up in main())

PASSWORD = "Rahasia-Prakerja-2026"  # noqa: S105 (synthetic accounts in a throw-away database)


def create_database() -> None:
    """Create the load-test database when it does not exist yet (a fresh clone)."""
    import environ
    import psycopg2

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None and "load" in config["NAME"]:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    admin.close()


def setup_django():
    import django

    os.environ.update(LOAD_ENV)  # here, not at import: tests import this module's helpers
    create_database()
    django.setup()


def seed(*, people: int, cards: int, applicants: int) -> dict:
    """Bulk inserts, like ``seed_load``: one Argon2id hash shared by every synthetic account."""
    import secrets
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from participants.models import Participant, User, Wave
    from trainings import services
    from trainings.models import Offering, Platform, Provider, Training

    now = timezone.now()
    password = make_password(PASSWORD)
    closed = Wave.objects.create(
        number=1,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
        quota_total=people + cards,
    )
    open_wave = Wave.objects.create(
        number=2,
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(days=7),
        announces_at=now + dt.timedelta(days=9),
        quota_total=applicants,
    )

    def users(prefix: str, n: int) -> list:
        return User.objects.bulk_create(
            User(
                email=f"{prefix}{i}@contoh.id",
                full_name=f"Peserta {prefix} {i}",
                password=password,
                email_verified_at=now,
            )
            for i in range(n)
        )

    active = benchutil.active_cards(users=users("aktif", people + cards), wave=closed, now=now)
    waiting = Participant.objects.bulk_create(
        Participant(
            user=user,
            phone=f"+62815{i:08d}",
            nik_hash=secrets.token_hex(32),
            kk_hash=secrets.token_hex(32),
            birth_date=dt.date(1995, 1, 1),
            gender="M",
            identity_verified_at=now,
            phone_verified_at=now,
            declared_at=now,
            is_unemployed=True,
            test_passed_at=now,
        )
        for i, user in enumerate(users("pelamar", applicants))
    )
    provider = Provider.objects.create(code="beban-lp", name="LP Beban")
    platform = Platform.objects.create(code="beban", name="Platform Beban")
    offering = None
    for n in range(40):
        training = Training.objects.create(
            title=f"Pelatihan {n:02d} Pemasaran Digital",
            category=["Pemasaran", "Teknologi", "Bahasa", "Keuangan"][n % 4],
            provider=provider,
            price_idr=100_000 + n * 1_000,
            duration_hours=10,
            mode=Training.Mode.SELF_PACED,
        )
        offering = Offering.objects.create(
            code=f"beban-{n:02d}",
            training=training,
            platform=platform,
            price_idr=training.price_idr,
            url=f"https://beban.example/{n}",
        )
    key, secret = services.issue_partner_key(platform=platform)

    # The backend that login() records: the first that can load a user (django-axes's
    # standalone backend, listed first, only counts failures and has no get_user).
    session_backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    def sessions(participants) -> list[str]:
        keys = []
        for participant in participants:
            store = SessionStore()
            store[SESSION_KEY] = str(participant.user_id)
            store[BACKEND_SESSION_KEY] = session_backend
            store[HASH_SESSION_KEY] = participant.user.get_session_auth_hash()
            store.create()
            keys.append(store.session_key)
        return keys

    return {
        "password": PASSWORD,
        "login_emails": [f"aktif{i}@contoh.id" for i in range(min(people, 500))],
        "sessions": sessions(active[:people]),
        "join_sessions": sessions(waiting),
        "wave": open_wave.number,
        "cards": [[p.card_number, p.phone] for p in active[people:]],
        "offering": offering.code,
        "partner": {"key": key, "secret": secret},
        "max_user_id": User.objects.order_by("-pk").values_list("pk", flat=True).first(),
    }


def wait_for(url: str, timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"loadtest: {url} did not answer")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


# --- child processes: none outlives the script -------------------------------------------------
# Each child (gunicorn and its workers, the Celery worker, locust) starts in a session of its own,
# so a Ctrl-C in the terminal reaches only this script, and the script stops each child's whole
# process group: on a normal end, on an exception, on Ctrl-C (SIGINT), SIGTERM and SIGHUP.
_children: list[subprocess.Popen] = []


def spawn(command: list[str], **kwargs) -> subprocess.Popen:
    """Start a child process in its own session; :func:`stop_children` stops it and its group."""
    if not _children:
        _stop_on_exit_and_signals()
    process = subprocess.Popen(command, start_new_session=True, **kwargs)
    _children.append(process)
    return process


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)  # start_new_session: the group's id is the child's pid


def stop_children(timeout: float = 30) -> None:
    """SIGTERM to every child's process group, then SIGKILL to whatever is left after
    ``timeout`` seconds (gunicorn finishes its requests, locust writes its CSV files)."""
    children = list(_children)
    _children.clear()
    for process in children:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        # The leader may be gone while members of its group (gunicorn's workers) are not.
        _signal_group(process, signal.SIGKILL)
        process.poll()


def _exit_on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds: finally blocks, then atexit's stop_children


def _stop_on_exit_and_signals() -> None:
    atexit.register(stop_children)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    # SIGINT (Ctrl-C): KeyboardInterrupt, which unwinds the same way; set here because a process
    # started in the background inherits SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def gunicorn(app: str, port: int, workers: int, env: dict, log: Path, chdir: Path = ROOT):
    return spawn(
        [
            str(BIN / "gunicorn"), app, "--chdir", str(chdir),
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--backlog", "2048", "--log-level", "warning",
        ],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def clear_room() -> None:
    """Between steps: empty the waiting room, so each step starts with every place free."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter(match=f"{LOAD_ENV['ADMISSION_KEY_PREFIX']}:*"):
        client.delete(key)


def locust(
    step: str,
    classes: list[str],
    *,
    users: int,
    seconds: int,
    data: Path,
    extra_env: dict | None = None,
) -> dict:
    """Run one step; its rows by request name, and every request together as "Aggregated"."""
    prefix = RUN / step.replace(" ", "_")
    env = {
        **os.environ,
        "LOADTEST_DATA": str(data),
        "LOADTEST_CLASSES": ",".join(classes),
        **(extra_env or {}),
    }
    spawn(
        [
            str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
            "--stop-timeout", "10", "--csv", str(prefix), "--only-summary",
            "--loglevel", "ERROR", *classes,
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=(RUN / f"{step.replace(' ', '_')}.log").open("w"),
    ).wait()  # fmt: skip
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "size": float(row["Average Content Size"] or 0),
            }
    return rows


AGGREGATED = "Aggregated"  # locust's row of every request of a step

# step name, user classes, the request to quote
STEPS = [
    ("floor bare", ["FloorBare"], "floor: bare Django view"),
    ("floor query", ["FloorOneQuery"], "floor: one-query view"),
    ("home", ["Home"], "home page (anonymous)"),
    ("healthz", ["Healthz"], "healthz"),
    ("registration", ["Registrant"], "register: submit (account created)"),
    ("login", ["Login"], "login: submit"),
    ("dashboard", ["Dashboard"], "dashboard (/dasbor/)"),
    ("recommendations", ["Recommendations"], "Rekomendasi Pelatihan (/pelatihan/)"),
    ("join wave", ["JoinWave"], "join wave: Gabung"),
    ("partner start", ["PartnerStart"], "partner: start payment"),
    ("partner confirm", ["PartnerConfirm"], "partner: confirm payment"),
]


def table(results: list[tuple[str, dict]], floor_rps: float, bare_rps: float) -> str:
    lines = [
        "| step | req/s | ratio to one-query floor | p50 ms | p95 ms | p99 ms | requests "
        "| errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in results:
        ratio = row["rps"] / floor_rps if floor_rps else 0
        lines.append(
            f"| {name} | {row['rps']:,.1f} | {ratio:.2f} | {row['p50']:.0f} | {row['p95']:.0f} "
            f"| {row['p99']:.0f} | {row['requests']:,} | {row['errors']} |"
        )
    lines.append(
        f"\nFloors in this run: bare Django view {bare_rps:,.1f} req/s, one-query view "
        f"{floor_rps:,.1f} req/s (scripts/floor_app.py, same gunicorn, same database)."
    )
    return "\n".join(lines)


# --- the admission capacity of one host (--find-capacity) --------------------------------------
# The participant mix of launch day, logged in: the dashboard, Rekomendasi Pelatihan and joining
# the open wave (dashboard, then "Gabung"); locust splits the users evenly between the three.
CAPACITY_MIX = ["Dashboard", "Recommendations", "JoinWave"]
# While the capacity is searched every user is admitted, with the waiting room's check on.
ALL_ADMITTED = 1_000_000


def search_capacity(fits, *, start: int, limit: int, precision: float = 0.125) -> int:
    """The largest number of users for which ``fits(users)`` holds, for a ``fits`` that holds up
    to some number and not beyond: double from ``start`` until it fails (or passes ``limit``),
    then halve the gap between the last that fitted and the first that did not until it is at
    most ``precision`` of the answer (and at most 2 users). 0 when even ``start`` does not fit."""
    fitted, failed = 0, None
    users = start
    while users <= limit:
        if not fits(users):
            failed = users
            break
        fitted = users
        users *= 2
    while failed is not None and failed - fitted > max(2, int(fitted * precision)):
        users = (fitted + failed) // 2
        if fits(users):
            fitted = users
        else:
            failed = users
    return fitted


def find_capacity(args, data_file: Path) -> tuple[int, list[dict]]:
    """Run the participant mix at a growing number of users (no think time) and return the
    largest number whose p95, over every request of the mix, stays under ``--target-p95`` with
    no error, with every stage measured."""
    stages: list[dict] = []
    joined = 0  # applicants' sessions used by earlier stages: each person joins once

    def fits(users: int) -> bool:
        nonlocal joined
        clear_room()
        rows = locust(
            f"capacity {users}",
            CAPACITY_MIX,
            users=users,
            seconds=args.capacity_seconds,
            data=data_file,
            extra_env={"LOADTEST_JOIN_START": str(joined)},
        )
        joined += rows.get("join wave: dashboard", {"requests": 0})["requests"] + users
        if joined > args.applicants:  # the join-wave users stopped early: fewer users than said
            raise SystemExit(
                f"loadtest: the {args.applicants} applicants ran out at {users} users; "
                "run again with more --applicants"
            )
        total = rows[AGGREGATED]
        fitted = total["requests"] > 0 and total["errors"] == 0 and total["p95"] < args.target_p95
        stages.append({"users": users, **total, "fits": fitted})
        print(
            f"  {users} users: {total['rps']:,.1f} req/s, p95 {total['p95']:.0f} ms, "
            f"errors {total['errors']}: {'fits' if fitted else 'over the target'}"
        )
        return fitted

    capacity = search_capacity(fits, start=args.capacity_start, limit=args.capacity_limit)
    return capacity, sorted(stages, key=lambda stage: stage["users"])


def capacity_report(args, capacity: int, stages: list[dict], floor: dict) -> str:
    lines = [
        f"# make loadtest --find-capacity, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"gunicorn {args.workers} sync workers, DEBUG off, PostgreSQL and Redis, a Celery worker, "
        f"the waiting room on with every user admitted; locust (FastHttpUser, no think time), "
        f"the participant mix (dashboard, Rekomendasi Pelatihan, join wave: a third of the users "
        f"each), {args.capacity_seconds} s per stage. Load average before the run: "
        f"{args.load_before}.",
        "",
        "| admitted users | req/s | p50 ms | p95 ms | p99 ms | requests | errors "
        f"| p95 < {args.target_p95:.0f} ms, 0 errors |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for stage in stages:
        lines.append(
            f"| {stage['users']} | {stage['rps']:,.1f} | {stage['p50']:.0f} | {stage['p95']:.0f} "
            f"| {stage['p99']:.0f} | {stage['requests']:,} | {stage['errors']} "
            f"| {'yes' if stage['fits'] else 'no'} |"
        )
    lines += [
        "",
        f"One-query floor in this run: {floor['rps']:,.1f} req/s (scripts/floor_app.py).",
        "",
        f"**Capacity of one host like this one: {capacity} admitted users** (the largest number "
        f"measured whose p95 stayed under {args.target_p95:.0f} ms with 0 errors). Set "
        f"`ADMISSION_CAPACITY` = {capacity} x the number of such web hosts "
        '(docs/performance.md, "Choosing ADMISSION_CAPACITY").',
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="length of each step")
    parser.add_argument("--users", type=int, default=32, help="concurrent users per step")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--capacity", type=int, default=32, help="ADMISSION_CAPACITY")
    parser.add_argument("--surge-seconds", type=int, default=60)
    parser.add_argument("--people", type=int, help="logged-in participants (2000; 500)")
    parser.add_argument("--cards", type=int, help="active cards for partners (12000; 0)")
    parser.add_argument("--applicants", type=int, help="who can join the wave (6000; 5000)")
    parser.add_argument("--port", type=int, default=9611)
    parser.add_argument("--floor-port", type=int, default=9612)
    parser.add_argument(
        "--steps",
        default="",
        help="comma-separated step names to run (the floors always run), e.g. "
        "'dashboard,partner-start,partner-confirm' (a hyphen or underscore for a space); "
        "default: every step",
    )
    parser.add_argument("--no-surge", action="store_true", help="skip the peak stage")
    capacity = parser.add_argument_group(
        "--find-capacity",
        "instead of the steps and the peak: the largest number of admitted users for which "
        "the participant mix keeps p95 under a target on this machine (ADMISSION_CAPACITY)",
    )
    capacity.add_argument("--find-capacity", action="store_true")
    capacity.add_argument("--target-p95", type=float, default=500.0, help="milliseconds")
    capacity.add_argument("--capacity-seconds", type=int, default=12, help="length of a stage")
    capacity.add_argument("--capacity-start", type=int, default=8, help="users of the first stage")
    capacity.add_argument("--capacity-limit", type=int, default=512, help="users at most")
    args = parser.parse_args()
    if args.find_capacity:  # a smaller seed: no partner steps, sessions reused
        args.people = args.people or 500
        args.cards = args.cards if args.cards is not None else 0
        args.applicants = args.applicants or 5000
    args.people = args.people or 2000
    args.cards = args.cards if args.cards is not None else 12000
    args.applicants = args.applicants or 6000
    args.load_before = ", ".join(f"{load:.2f}" for load in os.getloadavg())
    # "partner-start" or "partner_start" for "partner start" (make splits LOADTEST_ARGS on spaces).
    wanted = {
        " ".join(name.replace("-", " ").replace("_", " ").split())
        for name in args.steps.split(",")
        if name.strip()
    }
    unknown = wanted - {step for step, _c, _r in STEPS}
    if unknown:
        raise SystemExit(f"loadtest: unknown steps {sorted(unknown)}")

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    name = benchutil.database_name()
    benchutil.require_scratch_database(("load",))
    if not settings.REDIS_URL:
        raise SystemExit("loadtest: needs REDIS_URL (sessions, waiting room, Celery broker)")
    for port in (args.port, args.floor_port):
        if not port_free(port):
            raise SystemExit(f"loadtest: port {port} is in use")
    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir(parents=True)

    started = time.perf_counter()
    benchutil.migrate_if_needed()
    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG off: the hashed manifest
    benchutil.truncate_program_tables()
    clear_room()
    data = seed(people=args.people, cards=args.cards, applicants=args.applicants)
    data.update(
        portal=f"http://127.0.0.1:{args.port}",
        floor=f"http://127.0.0.1:{args.floor_port}",
        sms_file=LOAD_ENV["SMS_FILE_PATH"],
        payments_file=str(RUN / "payments.jsonl"),
        refresh=settings.ADMISSION_REFRESH_SECONDS,
    )
    data_file = RUN / "data.json"
    data_file.write_text(json.dumps(data))
    (RUN / "sms.jsonl").touch()
    connection.close()
    print(f"loadtest: seeded in {time.perf_counter() - started:.0f} s; database {name}")

    room = ALL_ADMITTED if args.find_capacity else args.capacity
    env = {**os.environ, "ADMISSION_CAPACITY": str(room)}
    floor_env = {**os.environ, "FLOOR_MAX_USER_ID": str(data["max_user_id"])}
    worker = [str(BIN / "celery"), "-A", "prakerja", "worker", "--loglevel", "WARNING",
              "--concurrency", "1", "--without-gossip", "--without-mingle"]  # fmt: skip
    gunicorn("prakerja.wsgi:application", args.port, args.workers, env, RUN / "web.log")
    gunicorn(
        "floor_app:application",
        args.floor_port,
        args.workers,
        floor_env,
        RUN / "floor.log",
        chdir=ROOT / "scripts",
    )
    spawn(
        worker,
        cwd=ROOT,
        env=env,
        stdout=(RUN / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"{data['portal']}/healthz")
        wait_for(f"{data['floor']}/bare")
        if args.find_capacity:
            print(
                f"loadtest: gunicorn {args.workers} sync workers, a Celery worker; the "
                f"participant mix for {args.capacity_seconds} s per stage, p95 target "
                f"{args.target_p95:.0f} ms"
            )
            floor = locust(
                "floor query",
                ["FloorOneQuery"],
                users=args.users,
                seconds=args.capacity_seconds,
                data=data_file,
            )[AGGREGATED]
            print(f"  one-query floor: {floor['rps']:,.1f} req/s")
            capacity, stages = find_capacity(args, data_file)
            stop_children()
            text = capacity_report(args, capacity, stages, floor)
            (RUN / "capacity.md").write_text(text)
            print()
            print(text)
            print(
                f"loadtest: done in {time.perf_counter() - started:.0f} s; "
                ".run/loadtest/capacity.md"
            )
            return
        print(
            f"loadtest: gunicorn {args.workers} sync workers (portal and floor), a Celery worker; "
            f"{args.users} users per step for {args.seconds} s; waiting-room capacity "
            f"{args.capacity}"
        )
        results, quoted = [], {}
        for step, classes, request in STEPS:
            if wanted and not step.startswith("floor") and step not in wanted:
                continue
            if step == "partner confirm" and wanted and "partner start" not in wanted:
                raise SystemExit("loadtest: 'partner confirm' needs 'partner start' before it")
            clear_room()
            rows = locust(step, classes, users=args.users, seconds=args.seconds, data=data_file)
            rows.pop(AGGREGATED)
            for row_name, row in rows.items():
                results.append((row_name, row))
            quoted[step] = rows.get(request, {"rps": 0, "errors": 0, "p99": 0})
            print(
                f"  {step}: {quoted[step]['rps']:,.1f} req/s, p99 {quoted[step]['p99']:.0f} ms, "
                f"errors {sum(r['errors'] for r in rows.values())}"
            )
        clear_room()
        surge_users = 5 * args.capacity
        surge = {}
        if not args.no_surge:
            surge = locust(
                "surge", ["Surge"], users=surge_users, seconds=args.surge_seconds, data=data_file
            )
            surge.pop(AGGREGATED)
    finally:
        stop_children()

    floor_rps = quoted["floor query"]["rps"]
    bare_rps = quoted["floor bare"]["rps"]
    report = [
        f"# make loadtest, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"gunicorn {args.workers} sync workers, DEBUG off, PostgreSQL and Redis, a Celery worker; "
        f"locust (FastHttpUser, no think time) with {args.users} users per step for "
        f"{args.seconds} s. Ratios are to the one-query floor measured in this run.",
        "",
        table(results, floor_rps, bare_rps),
    ]
    waiting = surge.get("ruang tunggu: waiting page")
    server_errors = sum(r["errors"] for r in surge.values())
    admitted_p95 = max((r["p95"] for n, r in surge.items() if n.startswith("admitted")), default=0)
    if surge:
        report += [
            "",
            f"## The peak: {surge_users} users (5 x ADMISSION_CAPACITY={args.capacity}) for "
            f"{args.surge_seconds} s",
            "",
            table(list(surge.items()), floor_rps, bare_rps).split("\n\nFloors")[0],
            "",
            f"errors (5xx, time-outs, waiting page >= 5 KB): {server_errors}; admitted users' "
            f"p95 (worst request): {admitted_p95:.0f} ms; waiting page "
            f"{waiting['size'] if waiting else 0:.0f} bytes.",
        ]
    none = {"rps": 0, "errors": 0, "p99": 0}
    checks = {}
    if "registration" in quoted:
        checks["registration >= 60 accounts/s"] = quoted["registration"]["rps"] >= 60
    if "dashboard" in quoted:
        checks["dashboard >= 20% of floor"] = quoted["dashboard"]["rps"] >= 0.20 * floor_rps
    if "partner confirm" in quoted:
        checks["payment confirmation >= 15% of floor"] = (
            quoted["partner confirm"]["rps"] >= 0.15 * floor_rps
        )
    if "dashboard" in quoted or "partner confirm" in quoted:
        worst = max(quoted.get(step, none)["p99"] for step in ("dashboard", "partner confirm"))
        checks["dashboard and confirmation p99 < 200 ms"] = worst < 200
    checks["0 errors in the steps"] = all(row["errors"] == 0 for _n, row in results)
    if surge:
        checks["peak: 0 errors, admitted p95 < 1 s"] = server_errors == 0 and admitted_p95 < 1000
    report += ["", "| done-when check | result |", "| --- | --- |"]
    report += [f"| {check} | {'yes' if ok else 'NO'} |" for check, ok in checks.items()]
    text = "\n".join(report) + "\n"
    (RUN / "report.md").write_text(text)
    print()
    print(text)
    print(f"loadtest: done in {time.perf_counter() - started:.0f} s; .run/loadtest/report.md")


if __name__ == "__main__":
    main()
