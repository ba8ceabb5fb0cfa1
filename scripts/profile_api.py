"""CPU cost per request of the partner API and registration, beside the one-query floor.

`make loadtest` gives req/s, which another process on the machine skews. This script gives what a
change actually saves: the CPU a request costs. It serves N requests of each step in this process
through the real WSGI handler (``prakerja.wsgi``: every middleware, production settings with
``DEBUG`` off, the load test's environment ``LOAD_ENV``, real PostgreSQL and Redis, real request
signing), and prints per request:

- ``app ms``: CPU of this process (``time.process_time``), what a gunicorn worker spends: the
  median request (robust to a busy machine) and the mean;
- ``db ms``: CPU of the PostgreSQL backend serving this process's connection (``/proc``);
- ``wall ms``: elapsed time, so waits (a commit's fsync, locks) show as the gap to the CPU;
- ``SQL``: statements sent through Django (``BEGIN``/``COMMIT`` are counted as ``tx``:
  each transaction adds two round trips), and ``redis``: round trips to Redis;
- the ratio of app CPU to the one-query floor's (``scripts/floor_app.py``, run in a child process
  with its own settings, the same database).

Steps: the floor (bare and one-query views), partner start (``POST /payments``), partner confirm
(``POST /payments/{id}/confirm`` with the OTP the SMS carried), and registration ("Daftar": the
form, then the POST that creates the account; ``account`` is both). ``--profile`` adds a cProfile
top list per step.

It empties the program's tables of the database it is given (its name must contain ``load``,
``profile`` or ``bench``), like ``make loadtest``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_loadtest \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python scripts/profile_api.py \\
        [-n 300] [--warmup 30] [--steps floor,start,confirm,register] [--profile]
"""

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import benchutil  # scripts/, this script's own folder

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".run" / "profile"
API = "/api/partner/v1"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- measuring ----------------------------------------------------------------------------------


class Meter:
    """Adds up the cost of the requests run through :meth:`call`, per kind of request."""

    def __init__(self, app, *, profile: bool, dump_dir: Path | None = None):
        from django.db import connection

        self.app = app
        self.connection = connection
        # CPU time, not wall time: a wait on PostgreSQL or Redis is not this process's cost.
        self.profiler = cProfile.Profile(time.process_time) if profile else None
        self.dump_dir = dump_dir
        self.totals: dict[str, dict] = {}
        self._statements = 0
        self._transactions = 0
        self._redis = 0
        self._patch()

    def _patch(self) -> None:
        import redis.connection

        meter = self
        send = redis.connection.AbstractConnection.send_packed_command

        def counted_send(self, *args, **kwargs):
            meter._redis += 1
            return send(self, *args, **kwargs)

        redis.connection.AbstractConnection.send_packed_command = counted_send

        def counted_statement(execute, sql, params, many, context):
            meter._statements += 1
            return execute(sql, params, many, context)

        self.connection.execute_wrappers.append(counted_statement)
        commit, rollback = self.connection._commit, self.connection._rollback

        def counted_commit(*args, **kwargs):
            meter._transactions += 1
            return commit(*args, **kwargs)

        def counted_rollback(*args, **kwargs):
            meter._transactions += 1
            return rollback(*args, **kwargs)

        self.connection._commit = counted_commit
        self.connection._rollback = counted_rollback

    def call(self, kind: str, environ: dict, *, measure: bool = True) -> tuple[int, list, bytes]:
        """Run one request through the WSGI application; return (status, headers, body)."""
        started: dict = {}

        def start_response(status, headers, exc_info=None):
            started["status"] = int(status.split()[0])
            started["headers"] = headers
            return lambda data: None

        pid = self._pid
        db_before = benchutil.backend_cpu_seconds(pid) if measure and pid else None
        counts = (self._statements, self._transactions, self._redis)
        wall, cpu = time.perf_counter(), time.process_time()
        if measure and self.profiler:
            self.profiler.enable()
        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if measure and self.profiler:
            self.profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if self._pid and self.connection.connection is not self._raw:
            self.settle()
        if measure:
            total = self.totals.setdefault(
                kind,
                {"n": 0, "cpu": [], "wall": 0.0, "db": 0.0, "sql": 0, "tx": 0, "redis": 0},
            )
            total["n"] += 1
            total["cpu"].append(cpu)
            total["wall"] += wall
            if db_before is not None and self.connection.connection is self._raw:
                total["db"] += benchutil.backend_cpu_seconds(pid) - db_before
            else:  # CONN_MAX_AGE reopened the connection: a new backend from the next request
                total["db_missed"] = total.get("db_missed", 0) + 1
            total["sql"] += self._statements - counts[0]
            total["tx"] += self._transactions - counts[1]
            total["redis"] += self._redis - counts[2]
        return started["status"], started["headers"], body

    def settle(self) -> None:
        """After the warm-up: note the backend serving this process's (persistent) connection."""
        self._pid = benchutil.backend_pid()
        self._raw = self.connection.connection

    _pid = 0
    _raw = None

    def per_request(self, kind: str) -> dict:
        total = self.totals[kind]
        n = total["n"]
        return {
            "n": n,
            "cpu_ms": 1000 * statistics.median(total["cpu"]),
            "cpu_mean_ms": 1000 * statistics.fmean(total["cpu"]),
            "wall_ms": 1000 * total["wall"] / n,
            "db_ms": 1000 * total["db"] / max(n - total.get("db_missed", 0), 1),
            "sql": total["sql"] / n,
            "tx": total["tx"] / n,
            "redis": total["redis"] / n,
        }

    def print_profile(self, title: str, top: int) -> None:
        if not self.profiler:
            return
        if self.dump_dir:
            self.profiler.dump_stats(self.dump_dir / (re.sub(r"\W+", "_", title) + ".prof"))
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(self.profiler, stream=out)
            stats.sort_stats(order).print_stats(top)
            text = out.getvalue()
            start = text.find("   ncalls")
            print(f"\n--- {title}: cProfile, top {top} by {order} ---")
            print(text[start:] if start >= 0 else text)
        self.profiler = cProfile.Profile(time.process_time)


def environ(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict | None = None,
    cookies: dict | None = None,
    content_type: str = "",
) -> dict:
    """A WSGI environ as gunicorn builds it for a request from a load generator on loopback."""
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_USER_AGENT": "profile_api",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if content_type:
        env["CONTENT_TYPE"] = content_type
    if cookies:
        env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


# --- the floor, in a child process with scripts/floor_app.py's own settings ---------------------


def floor_child(n: int, warmup: int) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import floor_app

    meter = Meter(floor_app.application, profile=False)
    for path, kind in (("/bare", "floor: bare Django view"), ("/one-query", "floor: one-query")):
        for i in range(warmup + n):
            if i == warmup:
                meter.settle()
            status, _h, _b = meter.call(kind, environ("GET", path), measure=i >= warmup)
            assert status == 200, status
    print(json.dumps({kind: meter.per_request(kind) for kind in meter.totals}))


def run_floor(n: int, warmup: int, max_user_id: int) -> dict:
    env = {
        **os.environ,
        "FLOOR_MAX_USER_ID": str(max_user_id),
        "DJANGO_SETTINGS_MODULE": "",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--floor-child", "-n", str(n), "--warmup", str(warmup)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- the portal's steps -------------------------------------------------------------------------


class Partner:
    def __init__(self, key: str, secret: str):
        self.key, self.secret = key, secret

    def post(self, path: str, payload: dict) -> dict:
        from trainings.services.credentials import sign

        body = json.dumps(payload).encode()
        timestamp = str(int(time.time()))
        headers = {
            "X-Partner-Key": self.key,
            "X-Timestamp": timestamp,
            "X-Signature": sign(
                secret=self.secret, timestamp=timestamp, method="POST", path=path, body=body
            ),
            "Idempotency-Key": uuid.uuid4().hex,
        }
        return environ("POST", path, body=body, headers=headers, content_type="application/json")


def _otps(sms_file: Path) -> dict[str, str]:
    codes = {}
    for line in sms_file.read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        found = re.search(r"\b(\d{6})\b", message["text"])
        if found:
            codes[message["to"]] = found.group(1)
    return codes


def run_partner(meter: Meter, data: dict, *, n: int, warmup: int, steps: set, top: int) -> list:
    partner = Partner(data["partner"]["key"], data["partner"]["secret"])
    started = []
    for i, (card_number, phone) in enumerate(data["cards"][: warmup + n]):
        payload = {
            "card_number": card_number,
            "offering_code": data["offering"],
            "partner_order_id": uuid.uuid4().hex,
        }
        request = partner.post(f"{API}/payments", payload)
        status, headers, body = meter.call("partner: start", request, measure=i >= warmup)
        assert status == 201, body
        started.append((json.loads(_decoded(body, headers))["payment_id"], phone))
    meter.print_profile("partner: start", top)
    if "confirm" not in steps:
        return started
    codes = _otps(Path(os.environ["SMS_FILE_PATH"]))
    for i, (payment_id, phone) in enumerate(started):
        request = partner.post(f"{API}/payments/{payment_id}/confirm", {"otp": codes[phone]})
        status, _h, body = meter.call("partner: confirm", request, measure=i >= warmup)
        assert status == 200, body
    meter.print_profile("partner: confirm", top)
    return started


def _update_jar(jar: dict, headers: list) -> None:
    for name, value in headers:
        if name.lower() == "set-cookie":
            for morsel in SimpleCookie(value).values():
                jar[morsel.key] = morsel.value


def run_registration(meter: Meter, data: dict, *, n: int, warmup: int, top: int) -> None:
    jar: dict[str, str] = {}
    for i in range(warmup + n):
        measure = i >= warmup
        jar.pop("sessionid", None)  # the next person on this browser, as the load test does
        status, headers, body = meter.call(
            "register: form", environ("GET", "/daftar/", cookies=jar), measure=measure
        )
        assert status == 200, status
        _update_jar(jar, headers)
        token = CSRF.search(_decoded(body, headers).decode()).group(1)
        form = urlencode(
            {
                "csrfmiddlewaretoken": token,
                "full_name": "Peserta Beban",
                "email": f"profil-{uuid.uuid4().hex}@contoh.id",
                "password": data["password"],
                "password_confirm": data["password"],
            }
        ).encode()
        request = environ(
            "POST",
            "/daftar/",
            body=form,
            cookies=jar,
            content_type="application/x-www-form-urlencoded",
        )
        status, headers, body = meter.call("register: submit", request, measure=measure)
        assert status == 302, (status, body[:500])
        _update_jar(jar, headers)
    meter.print_profile("registration (form and submit)", top)


def _decoded(body: bytes, headers: list) -> bytes:
    """The body as sent before GZipMiddleware (the client asks for gzip, as locust does)."""
    return gzip.decompress(body) if ("Content-Encoding", "gzip") in headers else body


# --- main ---------------------------------------------------------------------------------------


def setup(args) -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    import django

    import loadtest  # its LOAD_ENV: the settings `make loadtest` serves with

    RUN.mkdir(parents=True, exist_ok=True)
    sms_file = RUN / "sms.jsonl"
    sms_file.write_text("")
    os.environ.update(loadtest.LOAD_ENV)
    os.environ["SMS_FILE_PATH"] = str(sms_file)
    os.environ["ADMISSION_CAPACITY"] = str(args.capacity)
    loadtest.create_database()
    django.setup()

    from django.conf import settings
    from django.core.management import call_command

    benchutil.require_scratch_database(("load", "profile", "bench"))
    if not settings.REDIS_URL:
        raise SystemExit("profile_api: needs REDIS_URL (sessions, replay memory, Celery broker)")
    benchutil.migrate_if_needed()
    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG off: the hashed manifest
    benchutil.truncate_program_tables()
    loadtest.clear_room()
    return loadtest.seed(people=10, cards=args.warmup + args.n, applicants=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="measured requests per step")
    parser.add_argument("--warmup", type=int, default=30, help="requests per step not measured")
    parser.add_argument("--steps", default="floor,start,confirm,register")
    parser.add_argument("--capacity", type=int, default=32, help="ADMISSION_CAPACITY")
    parser.add_argument("--profile", action="store_true", help="print a cProfile top list")
    parser.add_argument("--top", type=int, default=30, help="lines of each cProfile list")
    parser.add_argument(
        "--profile-dir", type=Path, help="also write each step's profile there (pstats files)"
    )
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        floor_child(args.n, args.warmup)
        return
    steps = {step.strip() for step in args.steps.split(",") if step.strip()}
    unknown = steps - {"floor", "start", "confirm", "register"}
    if unknown:
        raise SystemExit(f"profile_api: unknown steps {sorted(unknown)}")

    data = setup(args)
    from django.db import connection

    from prakerja.wsgi import application

    results = {}
    if "floor" in steps:
        connection.close()
        results.update(run_floor(args.n, args.warmup, data["max_user_id"]))
    if args.profile_dir:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    meter = Meter(application, profile=args.profile, dump_dir=args.profile_dir)
    meter.settle()
    if steps & {"start", "confirm"}:
        run_partner(meter, data, n=args.n, warmup=args.warmup, steps=steps, top=args.top)
    if "register" in steps:
        run_registration(meter, data, n=args.n, warmup=args.warmup, top=args.top)
    results.update({kind: meter.per_request(kind) for kind in meter.totals})
    if "register: form" in results:
        form, submit = results["register: form"], results["register: submit"]
        results["register: account (form + submit)"] = {
            key: form[key] + submit[key] if key != "n" else form[key] for key in form
        }
    _purge_celery()
    report(results, n=args.n)


def _purge_celery() -> None:
    """Registration queues emails through Celery; nothing consumes them here."""
    from prakerja.celery import app

    app.control.purge()


def report(results: dict, *, n: int) -> None:

    floor = results.get("floor: one-query", {}).get("cpu_ms")
    print(
        f"\nprofile_api: {n} requests per step, in-process WSGI (DEBUG off, every middleware), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        "| request | app CPU ms (median) | x one-query floor | app CPU ms (mean) "
        "| db CPU ms | wall ms | SQL | tx | redis |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, row in results.items():
        ratio = f"{row['cpu_ms'] / floor:.1f}" if floor else "-"
        print(
            f"| {kind} | {row['cpu_ms']:.2f} | {ratio} | {row['cpu_mean_ms']:.2f} "
            f"| {row['db_ms']:.2f} | {row['wall_ms']:.2f} | {row['sql']:.1f} | {row['tx']:.1f} "
            f"| {row['redis']:.1f} |"
        )
    if not floor:
        return
    for kind, row in results.items():
        if kind.startswith("floor"):
            continue
        benchutil.report(
            f"CPU per request, {kind.replace(':', '')}",
            row["cpu_ms"] / 1000,
            [floor / 1000],
            detail="the floor: one indexed query in a bare Django view (scripts/floor_app.py); "
            f"PostgreSQL CPU {row['db_ms']:.2f} ms, wall {row['wall_ms']:.2f} ms, "
            f"{row['sql']:.1f} SQL statements, {row['redis']:.1f} Redis round trips",
        )


if __name__ == "__main__":
    main()
