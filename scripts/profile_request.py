"""CPU cost per request of the participant pages, beside the floor.

`make loadtest` measures throughput, which other work on the machine disturbs. This script
measures what one request costs the web process, which it does not: it serves N requests
in-process through the real WSGI handler (every middleware, the real PostgreSQL and Redis, a
logged-in session made the way ``login()`` makes it), with the load test's production settings
(``LOAD_ENV`` in ``scripts/loadtest.py``: DEBUG off, the waiting room on), and prints per request:

- CPU ms (``time.process_time``, this process only: no PostgreSQL or Redis server time),
- wall ms, and the queries with the time the process waited for PostgreSQL (wall, client side),
- how many times the one-query floor's CPU the page costs (``scripts/floor_app.py``: one
  indexed query in a bare Django view, measured the same way in a child process, since it is a
  Django project of its own), one line per page in the benchmarks' format (``benchutil``).

Each figure is the best of ``--rounds`` rounds. With ``--profile`` it prints a cProfile top list
for each page instead.

The database is emptied and seeded like the load test's (its name must contain ``load``,
``profile`` or ``bench``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_load_profile \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python scripts/profile_request.py \\
        [-n 500] [--rounds 3] [--warmup 50] [--pages dashboard,recommendations] [--profile]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

# name -> (path, logged in); the load test's requests (loadtest/locustfile.py).
PAGES = {
    "home": ("/", False),
    "dashboard": ("/dasbor/", True),
    "recommendations": ("/pelatihan/", True),
    "healthz": ("/healthz", False),
}
FLOORS = {"floor bare": "/bare", "floor one-query": "/one-query"}
# It empties the database: a scratch one (the load test's, or a benchmark's).
SCRATCH_MARKS = ("load", "profile", "bench")
# What locust's FastHttpUser sends: the pages are answered gzipped, as in the load test.
ACCEPT_ENCODING = "gzip, deflate, br"


def environ_for(path: str, cookies: dict[str, str]) -> dict:
    """A WSGI environ as gunicorn builds it for ``GET path`` from 127.0.0.1."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "9301",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:9301",
        "HTTP_USER_AGENT": "profile_request",
        "HTTP_ACCEPT_ENCODING": ACCEPT_ENCODING,
        "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def serve(application, path: str, cookies: dict[str, str]) -> tuple[str, bytes]:
    """One GET; ``cookies`` takes the cookies the answer sets, as a browser's jar does (the
    waiting room's token changes with every request)."""
    status_line = []

    def start_response(status, headers, exc_info=None):
        status_line.append(status)
        for name, value in headers:
            if name.lower() == "set-cookie":
                morsel = SimpleCookie(value)
                cookies.update({key: item.value for key, item in morsel.items()})

    response = application(environ_for(path, cookies), start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()  # request_finished: what gunicorn does after sending
    return status_line[0], body


class QueryTimer:
    """``connection.execute_wrapper``: counts queries and the time spent waiting for them."""

    def __init__(self, *, log: bool = False):
        self.count = 0
        self.seconds = 0.0
        self.log = log

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            self.count += 1
            if self.log:
                print(f"  {elapsed * 1000:6.2f} ms  {sql % tuple(map(repr, params or ()))}")


def measure(
    application,
    path: str,
    cookie_sets: list[dict],
    *,
    n: int,
    rounds: int,
    warmup: int,
    show_sql: bool = False,
) -> dict:
    """Best of ``rounds`` rounds of ``n`` requests (after ``warmup`` more), per request."""
    from django.db import connection

    for i in range(warmup):
        status, _body = serve(application, path, cookie_sets[i % len(cookie_sets)])
        if not status.startswith("200"):
            raise SystemExit(f"profile_request: {path} answered {status}")
    if show_sql:
        print(f"## {path}: the queries of one request")
        with connection.execute_wrapper(QueryTimer(log=True)):
            serve(application, path, cookie_sets[0])
    best = None
    for _round in range(rounds):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(n):
                status, body = serve(application, path, cookie_sets[i % len(cookie_sets)])
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        row = {
            "cpu_ms": cpu * 1000 / n,
            "wall_ms": wall * 1000 / n,
            "queries": timer.count / n,
            "db_ms": timer.seconds * 1000 / n,
            "bytes": len(body),
        }
        if best is None or row["cpu_ms"] < best["cpu_ms"]:
            best = row
    return best


def profile(
    application, path: str, cookie_sets: list[dict], *, n: int, warmup: int, sort: str, top: int
):
    for i in range(warmup):
        serve(application, path, cookie_sets[i % len(cookie_sets)])
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for the servers
    profiler.enable()
    for i in range(n):
        serve(application, path, cookie_sets[i % len(cookie_sets)])
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
    print(out.getvalue())


def floor_child(n: int, rounds: int, warmup: int, do_profile: bool, sort: str, top: int) -> None:
    """In a child process: the floor app is a Django project of its own."""
    sys.path.insert(0, str(SCRIPTS))
    import floor_app

    results = {}
    for name, path in FLOORS.items():
        if do_profile:
            print(f"## {name} ({path}), {n} requests")
            profile(floor_app.application, path, [{}], n=n, warmup=warmup, sort=sort, top=top)
        else:
            results[name] = measure(
                floor_app.application, path, [{}], n=n, rounds=rounds, warmup=warmup
            )
    if not do_profile:
        print(json.dumps(results))


def run_floor(args, max_user_id: int) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["FLOOR_MAX_USER_ID"] = str(max_user_id)
    command = [sys.executable, __file__, "--floor-child", "-n", str(args.n)]
    command += ["--rounds", str(args.rounds), "--warmup", str(args.warmup)]
    command += ["--sort", args.sort, "--top", str(args.top)]
    if args.profile:
        command.append("--profile")
    done = subprocess.run(command, env=env, check=True, capture_output=not args.profile, text=True)
    return {} if args.profile else json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    parser.add_argument("--warmup", type=int, default=50, help="requests before each round")
    parser.add_argument(
        "--pages", default=",".join(PAGES), help=f"comma-separated, from {', '.join(PAGES)}"
    )
    parser.add_argument("--capacity", type=int, default=32, help="ADMISSION_CAPACITY (0: off)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile top list")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=40, help="lines of the cProfile list")
    parser.add_argument("--sql", action="store_true", help="print the queries of one request")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        floor_child(args.n, args.rounds, args.warmup, args.profile, args.sort, args.top)
        return
    pages = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = set(pages) - set(PAGES)
    if unknown:
        raise SystemExit(f"profile_request: unknown pages {sorted(unknown)}")

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(SCRIPTS))  # before ROOT: the module, not the loadtest/ folder
    os.environ["ADMISSION_CAPACITY"] = str(args.capacity)
    import loadtest  # scripts/loadtest.py: setup_django() applies its LOAD_ENV

    loadtest.setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from prakerja.wsgi import application

    benchutil = loadtest.benchutil
    name = benchutil.database_name()
    benchutil.require_scratch_database(SCRATCH_MARKS)
    if not settings.REDIS_URL:
        raise SystemExit("profile_request: needs REDIS_URL (sessions, the waiting room)")
    benchutil.migrate_if_needed()
    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG off: the hashed manifest
    benchutil.truncate_program_tables()
    loadtest.clear_room()
    data = loadtest.seed(people=64, cards=64, applicants=64)
    # 32 people, like the load test's 32 users, each a browser that keeps its cookies: its
    # waiting-room place and its CSRF cookie (set by the first page with a form).
    anonymous = [{"csrftoken": secrets.token_hex(16)} for _ in range(32)]
    logged_in = [
        {**cookies, "sessionid": key}
        for cookies, key in zip(anonymous, data["sessions"][:32], strict=True)
    ]
    print(
        f"profile_request: {args.n} requests per page, best of {args.rounds} rounds; database "
        f"{name}, ADMISSION_CAPACITY={args.capacity}, DEBUG={settings.DEBUG}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    results = {}
    for page in pages:
        path, needs_login = PAGES[page]
        cookie_sets = logged_in if needs_login else anonymous
        loadtest.clear_room()
        if args.profile:
            print(f"## {page} ({path}), {args.n} requests")
            profile(
                application, path, cookie_sets, n=args.n, warmup=args.warmup, sort=args.sort,
                top=args.top,
            )  # fmt: skip
        else:
            results[page] = measure(
                application, path, cookie_sets, n=args.n, rounds=args.rounds,
                warmup=args.warmup, show_sql=args.sql,
            )  # fmt: skip
    connection.close()
    loadtest.clear_room()
    if not args.no_floor:
        results = {**run_floor(args, data["max_user_id"]), **results}
    if args.profile:
        return

    floor = results.get("floor one-query", {}).get("cpu_ms")
    print()
    print("| request | CPU ms | x floor CPU | wall ms | queries | PostgreSQL ms | bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for page, row in results.items():
        ratio = f"{row['cpu_ms'] / floor:.2f}" if floor else "-"
        print(
            f"| {page} | {row['cpu_ms']:.2f} | {ratio} | {row['wall_ms']:.2f} "
            f"| {row['queries']:.0f} | {row['db_ms']:.2f} | {row['bytes']:,} |"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    if floor:
        for page in pages:
            row = results[page]
            benchutil.report(
                f"CPU per request, {page} ({PAGES[page][0]})",
                row["cpu_ms"] / 1000,
                [floor / 1000],
                detail=f"the floor: one indexed query in a bare Django view "
                f"(scripts/floor_app.py); wall {row['wall_ms']:.2f} ms, "
                f"{row['queries']:.0f} queries, {row['bytes']:,} bytes",
            )


if __name__ == "__main__":
    main()
