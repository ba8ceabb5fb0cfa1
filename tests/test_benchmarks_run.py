"""Every benchmark script runs, at a tiny size, so that none rots between the runs at full size.

Each script runs as the README's command does (a subprocess, its own settings) against a scratch
database copied from the test database, and must exit 0 and print at least one figure line:
``<name>: <figure> | floor <floor> | ratio <r> | <command>`` (``scripts/benchutil.py``). No
timing is checked: the figures at this size mean nothing; that the job, its floor and the line
still work does.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import benchutil  # noqa: E402

# The marker makes pytest-django set the test database up; the scripts use a copy of it.
pytestmark = pytest.mark.django_db

# Settings pytest-env gives the test process; a script runs with its own.
TEST_ONLY_ENV = {"TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _url(params: dict, name: str) -> str:
    auth = quote(params.get("USER") or "", safe="")
    if params.get("PASSWORD"):
        auth += ":" + quote(params["PASSWORD"], safe="")
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}@{params.get('HOST') or '127.0.0.1'}{port}/{name}"


def _connect(dbname: str):
    conn = connection.get_new_connection({**connection.get_connection_params(), "dbname": dbname})
    conn.autocommit = True
    return conn


def _migrations(dbname: str) -> set | None:
    """The migrations applied to ``dbname``, or None when it does not exist."""
    try:
        conn = _connect(dbname)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            return set(cursor.fetchall())
    except psycopg2.Error:
        return set()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def scratch_url(django_db_setup, django_db_blocker):
    """A database of its own for the scripts (they empty the program's tables): a copy of the
    migrated test database, kept for the next run (like ``--reuse-db``) while its migrations are
    the test database's. Created empty (the first script migrates it) when the copy is not
    possible, for example while another session uses the test database."""
    with django_db_blocker.unblock():
        params = dict(connection.settings_dict)
        template = params["NAME"]
        name = f"{template[:40]}_bench_scripts"
        connections.close_all()
        if _migrations(name) != _migrations(template):
            maintenance = _connect("postgres")
            try:
                with maintenance.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    try:
                        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    except psycopg2.Error:
                        cursor.execute(f'CREATE DATABASE "{name}"')
            finally:
                maintenance.close()
    return _url(params, name)


def run_script(url: str, script: str, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_ENV}
    env["DATABASE_URL"] = url
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"{script} exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}"
        f"\n--- stderr\n{done.stderr[-5000:]}"
    )
    return done.stdout


def figure_lines(output: str) -> list[dict]:
    return [m.groupdict() for line in output.splitlines() if (m := benchutil.LINE.match(line))]


SCRIPTS = {
    "bench_selection.py": ["--size", "400", "--paired", "1"],
    "bench_list_import.py": ["--size", "400"],
    "bench_recheck.py": ["--size", "200"],
    "bench_sweep.py": ["--size", "400"],
    "bench_disbursement.py": ["--size", "200"],
    "bench_confirm.py": ["--size", "24", "--clients", "4", "--workers", "1", "--threads", "2"],
    "bench_reports.py": ["--size", "400", "--runs", "2"],
    "bench_recommendations.py": ["--size", "200", "--runs", "2"],
}


# CPU per request through the WSGI handler, beside the one-query Django view (scripts/floor_app.py).
PROFILES = {
    "profile_request.py": ["-n", "3", "--rounds", "1", "--warmup", "1"],
    "profile_api.py": ["-n", "3", "--warmup", "1"],
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_script_runs_and_prints_its_figure_beside_its_floor(scratch_url, script):
    args = SCRIPTS[script]
    if script == "bench_confirm.py":
        args = [*args, "--port", str(_free_port())]
    lines = figure_lines(run_script(scratch_url, script, *args))
    assert lines, f"{script} printed no figure line"
    for line in lines:
        assert float(line["ratio"].replace(",", "")) > 0, line
        assert f"scripts/{script} {' '.join(args)}" in line["command"], line
        assert "DATABASE_URL=postgres://" in line["command"], line


@pytest.mark.redis
@pytest.mark.parametrize("script", PROFILES)
def test_profile_script_runs_and_prints_each_request_beside_the_floor(scratch_url, script):
    args = PROFILES[script]
    lines = figure_lines(run_script(scratch_url, script, *args))
    assert len(lines) >= 4, f"{script} printed {len(lines)} figure lines"
    for line in lines:
        assert line["name"].startswith("CPU per request, "), line
        assert float(line["ratio"].replace(",", "")) > 0, line
        assert f"scripts/{script} {' '.join(args)}" in line["command"], line


@pytest.mark.redis
def test_profile_metrics_prints_the_instrumentations_cost_beside_a_bare_view(scratch_url):
    args = ["-n", "8", "--rounds", "1", "--warmup", "1"]
    lines = figure_lines(run_script(scratch_url, "profile_metrics.py", *args))
    assert [line["name"] for line in lines] == [
        "CPU per request of the request instrumentation (request id, metrics)"
    ]
    assert f"scripts/profile_metrics.py {' '.join(args)}" in lines[0]["command"]
