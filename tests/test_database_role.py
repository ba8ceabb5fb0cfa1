"""The portal serves with a role that may read and write rows, nothing more: migrations run as the
owner of the tables, and the serving role cannot disable or drop the trigger that guards a
person's status, yet every page and job works with it (README, "Two database roles")."""

import secrets
import uuid
from contextlib import contextmanager

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection, connections
from psycopg2 import errors, sql

from participants.models import Application, Participant
from participants.waves.selection import run_selection
from tests.factories import DEFAULT_PASSWORD, make_active_participant
from tests.participants.test_selection import NOW, apply, closed_wave

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_role():
    """A serving role made by the documented command, dropped afterwards (roles are shared by
    every database of the server, so each test run makes its own)."""
    name = f"prakerja_app_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(16)
    db = connection.settings_dict
    url = f"postgres://{name}:{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    call_command("create_app_role", url)
    yield name, password
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _connect(name: str, password: str):
    db = connection.settings_dict
    raw = psycopg2.connect(
        host=db["HOST"], port=db["PORT"] or 5432, dbname=db["NAME"], user=name, password=password
    )
    raw.autocommit = True
    return raw


def _status_triggers(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT t.tgname, p.oid::regprocedure::text FROM pg_trigger t "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgrelid = 'participants_participant'::regclass AND NOT t.tgisinternal"
    )
    return cursor.fetchall()


def test_the_serving_role_cannot_switch_off_the_status_trigger(app_role):
    raw = _connect(*app_role)
    try:
        with raw.cursor() as cursor:
            triggers = _status_triggers(cursor)
            assert triggers
            refused = [
                "ALTER TABLE participants_participant DISABLE TRIGGER ALL",
                "ALTER TABLE participants_participant DISABLE TRIGGER USER",
                "SET session_replication_role = replica",
                "TRUNCATE participants_participant CASCADE",
                "CREATE TABLE participants_shadow (id int)",
            ]
            for name, function in triggers:
                refused += [
                    f'ALTER TABLE participants_participant DISABLE TRIGGER "{name}"',
                    f'DROP TRIGGER "{name}" ON participants_participant',
                    f"DROP FUNCTION {function} CASCADE",
                    f"CREATE OR REPLACE FUNCTION {function} RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                ]
            for statement in refused:
                with pytest.raises(errors.InsufficientPrivilege):
                    cursor.execute(statement)
            assert len(_status_triggers(cursor)) == len(triggers)
    finally:
        raw.close()


def test_the_trigger_still_refuses_a_forbidden_status_change_from_the_serving_role(app_role):
    participant = make_active_participant()
    raw = _connect(*app_role)
    try:
        with raw.cursor() as cursor, pytest.raises(psycopg2.Error):
            cursor.execute(
                "UPDATE participants_participant SET status = 'selected' WHERE id = %s",
                [participant.pk],
            )
    finally:
        raw.close()
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ACTIVE


@contextmanager
def serving_as(name: str, password: str):
    """Every query of this process through ``name`` (as a web host configured with the serving
    role's DATABASE_URL), then back to the owner."""
    default = connections["default"]
    saved = default.settings_dict["USER"], default.settings_dict["PASSWORD"]
    default.close()
    default.settings_dict["USER"], default.settings_dict["PASSWORD"] = name, password
    try:
        yield
    finally:
        default.close()
        default.settings_dict["USER"], default.settings_dict["PASSWORD"] = saved


def test_the_portal_works_as_the_serving_role(app_role, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    wave = closed_wave(quota_total=1)
    applicants = [apply(wave) for _ in range(3)]
    with serving_as(*app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role[0]
        password = "kata-sandi-panjang-9"
        registration = {
            "full_name": "Siti Aminah",
            "email": f"peran-{uuid.uuid4().hex[:8]}@contoh.id",
            "password": password,
            "password_confirm": password,
        }
        assert client.post("/daftar/", registration).status_code == 302
        person = make_active_participant()
        login = {"username": person.user.email, "password": DEFAULT_PASSWORD}
        assert client.post("/masuk/", login).status_code == 302
        assert client.get("/dasbor/").status_code == 200
        complaint = {
            "name": "Rina Wati",
            "phone": "0812-1111-2222",
            "email": person.user.email,
            "topic": "lainnya:",
            "description": "Saldo saya tidak tampil di dasbor sejak kemarin sore.",
            "consent": "on",
        }
        assert client.post("/pengaduan/", complaint).status_code == 302
        # The set-based selection uses temporary tables and its own statements.
        run = run_selection(wave=wave, now=NOW)
        assert run.selected == 1
    statuses = Application.objects.filter(participant__in=applicants).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == ["not_selected", "not_selected", "selected"]
