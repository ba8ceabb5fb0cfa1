"""The migrations build a working database from nothing: ``manage.py migrate`` (a subprocess, as
``make run`` and a deploy call it) on an empty database of its own on the test server, then the
parts Django's model state does not know about are checked in it: the status trigger, the storage
settings and dropped indexes, the plain list table, the default surveys. The models and the
migrations agree (``makemigrations --check``), and participants' migrations run backwards to zero.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[1]

# The marker makes pytest-django set up the test database; its server hosts the fresh ones.
pytestmark = pytest.mark.django_db

# Settings pytest-env gives the test process; the commands run with `make run`'s.
TEST_ONLY_ENV = {"TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}


def _url(name: str) -> str:
    params = connection.settings_dict
    auth = quote(params.get("USER") or "", safe="")
    if params.get("PASSWORD"):
        auth += ":" + quote(params["PASSWORD"], safe="")
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}@{params.get('HOST') or '127.0.0.1'}{port}/{name}"


def _connect(dbname: str):
    conn = connection.get_new_connection({**connection.get_connection_params(), "dbname": dbname})
    conn.autocommit = True
    return conn


def _maintenance(*statements: str) -> None:
    conn = _connect("postgres")
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_ENV}
    env.update(DATABASE_URL=url, DEBUG="1")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def manage_ok(url: str, *args: str) -> str:
    done = manage(url, *args)
    assert done.returncode == 0, (
        f"manage.py {' '.join(args)} exited {done.returncode}\n--- stdout\n"
        f"{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-5000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def fresh(django_db_setup, django_db_blocker):
    """The name of an empty database beside the test database, migrated from nothing; dropped
    afterwards."""
    with django_db_blocker.unblock():
        name = f"{connection.settings_dict['NAME'][:40]}_fresh_migrate"
        connections.close_all()
        _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        try:
            manage_ok(_url(name), "migrate", "--noinput")
            yield name
        finally:
            _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(dbname: str, sql: str, params=None) -> list[tuple]:
    conn = _connect(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        conn.close()


def test_the_fresh_database_refuses_a_status_change_the_transition_table_does_not_allow(fresh):
    conn = _connect(fresh)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO participants_user (password, is_superuser, is_staff, is_active,"
                " date_joined, email, full_name)"
                " VALUES ('!', false, false, true, now(), 'fresh@example.invalid', 'Fresh')"
                " RETURNING id"
            )
            (user_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO participants_participant (user_id, nik_encrypted, nik_masked,"
                " kk_hash, kk_encrypted, gender, address, education, employment_status, phone,"
                " status, revoke_reason, balance_idr, created_at, updated_at)"
                " VALUES (%s, '', '', 'kk', '', 'M', '', 'none', 'unemployed', '', 'selected',"
                " '', 0, now(), now()) RETURNING id",
                [user_id],
            )
            (participant_id,) = cursor.fetchone()
            update = "UPDATE participants_participant SET status = %s WHERE id = %s"
            cursor.execute(update, ["active", participant_id])
            with pytest.raises(psycopg2.errors.CheckViolation) as refused:
                cursor.execute(update, ["selected", participant_id])
            assert "invalid participant status transition active -> selected" in str(refused.value)
            cursor.execute(
                "SELECT status FROM participants_participant WHERE id = %s", [participant_id]
            )
            assert cursor.fetchone() == ("active",)
    finally:
        conn.close()


def test_the_fresh_database_has_the_storage_settings_and_the_plain_list_table(fresh):
    [(options,)] = _query(
        fresh, "SELECT reloptions FROM pg_class WHERE relname = 'participants_application'"
    )
    assert options == ["fillfactor=40"]
    like_indexes = _query(
        fresh,
        "SELECT indexname FROM pg_indexes WHERE tablename = 'participants_participant'"
        " AND indexdef LIKE '%%varchar_pattern_ops%%'",
    )
    assert like_indexes == []
    columns = _query(
        fresh,
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = 'participants_agencylistentry' ORDER BY ordinal_position",
    )
    assert columns == [("list_id", "integer"), ("nik_hash", "character varying")]


def test_the_fresh_database_has_the_default_surveys(fresh):
    surveys = _query(
        fresh,
        "SELECT s.number, count(q.id) FROM incentives_survey s"
        " LEFT JOIN incentives_surveyquestion q ON q.survey_id = s.id"
        " GROUP BY s.number ORDER BY s.number",
    )
    assert surveys == [(1, 2), (2, 2), (3, 2)]


def test_the_migrations_match_the_models(fresh):
    done = manage(_url(fresh), "makemigrations", "--check", "--dry-run")
    assert done.returncode == 0, done.stdout + done.stderr


def test_participants_migrations_run_backwards_to_zero(fresh):
    copy = f"{fresh[:40]}_back"
    _maintenance(
        f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)',
        f'CREATE DATABASE "{copy}" TEMPLATE "{fresh}"',
    )
    try:
        manage_ok(_url(copy), "migrate", "participants", "zero", "--noinput")
        tables = _query(
            copy,
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename LIKE 'participants%%'",
        )
        assert tables == []
        functions = _query(copy, "SELECT proname FROM pg_proc WHERE proname LIKE 'participants%%'")
        assert functions == []
        assert _query(copy, "SELECT name FROM django_migrations WHERE app = 'participants'") == []
    finally:
        _maintenance(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
