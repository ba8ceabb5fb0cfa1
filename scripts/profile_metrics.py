"""What the request instrumentation (request id, request and database metrics) costs a request,
beside a bare Django view's whole cost, in CPU per request.

Two measurements, each the best of ``--rounds`` rounds, in production's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, as ``gunicorn.conf.py`` sets it):

- the middleware alone (``prakerja.middleware.RequestContextMiddleware``) around a view that
  does nothing, minus that view called without it: the instrumentation's own cost;
- whole requests through the real WSGI handler (``scripts/profile_request.py``'s way: every
  middleware, PostgreSQL, Redis) of the home page and ``/healthz``, with and without the
  middleware;

and the floor: a bare Django view in a project of its own (``scripts/floor_app.py``, measured
in a child process). The scrape itself (``GET /metrics``) is measured too.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_load_profile \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python scripts/profile_metrics.py [-n 2000]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
# Before prometheus-client is imported: the mode production runs in.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="profile-metrics-"))

MIDDLEWARE = "prakerja.middleware.RequestContextMiddleware"
PAGES = {"home": "/", "healthz": "/healthz"}


def best_cpu_ms(call, *, n: int, rounds: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    best = None
    for _round in range(rounds):
        started = time.process_time()
        for _ in range(n):
            call()
        per_call = (time.process_time() - started) * 1000 / n
        best = per_call if best is None else min(best, per_call)
    return best


def middleware_alone(*, n: int, rounds: int, warmup: int) -> tuple[float, float]:
    """(CPU ms per request of a do-nothing view with the middleware, without it)."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from prakerja.middleware import RequestContextMiddleware

    request_factory = RequestFactory()

    def view(request):
        request.resolver_match = match
        return HttpResponse(b"ok")

    match = resolve("/healthz")
    wrapped = RequestContextMiddleware(view)
    make = request_factory.get
    with_it = best_cpu_ms(lambda: wrapped(make("/healthz")), n=n, rounds=rounds, warmup=warmup)
    without = best_cpu_ms(lambda: view(make("/healthz")), n=n, rounds=rounds, warmup=warmup)
    return with_it, without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="best of this many rounds")
    parser.add_argument("--warmup", type=int, default=200, help="requests before each round")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(SCRIPTS))
    os.environ["ADMISSION_CAPACITY"] = "0"
    import profile_request

    import loadtest  # scripts/loadtest.py: setup_django() applies its production-like LOAD_ENV

    loadtest.setup_django()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    benchutil = loadtest.benchutil
    benchutil.require_scratch_database(profile_request.SCRATCH_MARKS)
    benchutil.migrate_if_needed()
    call_command("collectstatic", "--noinput", verbosity=0)
    settings.METRICS_TOKEN = "profile-metrics"  # noqa: S105
    print(
        f"profile_metrics: {args.n} requests per round, best of {args.rounds}; multiprocess "
        f"mode; database {benchutil.database_name()}; load average {os.getloadavg()[0]:.1f}"
    )

    alone_with, alone_without = middleware_alone(n=args.n, rounds=args.rounds, warmup=args.warmup)
    added = alone_with - alone_without

    instrumented = WSGIHandler()
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != MIDDLEWARE]):
        plain = WSGIHandler()
    pages = {}
    for page, path in PAGES.items():
        pages[page] = {
            name: profile_request.measure(
                handler, path, [{}], n=args.n // 4, rounds=args.rounds, warmup=args.warmup
            )["cpu_ms"]
            for name, handler in (("with", instrumented), ("without", plain))
        }
    scrape_environ = {"HTTP_AUTHORIZATION": "Bearer profile-metrics"}

    def scrape():
        environ = {**profile_request.environ_for("/metrics", {}), **scrape_environ}
        response = instrumented(environ, lambda status, headers, exc_info=None: None)
        b"".join(response)
        response.close()

    scrape_ms = best_cpu_ms(scrape, n=min(50, args.n), rounds=args.rounds, warmup=1)
    connection.close()
    floors = profile_request.run_floor(
        argparse.Namespace(
            n=args.n // 4, rounds=args.rounds, warmup=args.warmup, profile=False,
            sort="cumulative", top=10,
        ),
        max_user_id=1,
    )  # fmt: skip
    bare = floors["floor bare"]["cpu_ms"]

    print()
    print("| request | CPU ms with | CPU ms without | added | added / bare view |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| the middleware around a do-nothing view | {alone_with:.4f} | {alone_without:.4f} "
        f"| {added:.4f} | {added / bare:.2f} |"
    )
    for page, row in pages.items():
        diff = row["with"] - row["without"]
        print(
            f"| {page} ({PAGES[page]}), whole request | {row['with']:.3f} | {row['without']:.3f} "
            f"| {diff:.3f} | {diff / bare:.2f} |"
        )
    print(f"\nfloor: bare Django view {bare:.3f} CPU ms, one-query view "
          f"{floors['floor one-query']['cpu_ms']:.3f}; one scrape of /metrics {scrape_ms:.2f} "
          f"CPU ms; load average after {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    benchutil.report(
        "CPU per request of the request instrumentation (request id, metrics)",
        added / 1000,
        [bare / 1000],
        detail="the floor: a whole request to a bare Django view (scripts/floor_app.py); "
        f"home with/without {pages['home']['with']:.3f}/{pages['home']['without']:.3f} ms",
    )


if __name__ == "__main__":
    main()
