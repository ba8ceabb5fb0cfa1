"""The embedded PostgreSQL (``prakerja/embedded_db.py``) that `make run` and `make test` use when
no server is given: it starts from nothing (as root too: then as its unprivileged user), creates
the database, is found again by the next process, and stops."""

import psycopg2
import pytest

from prakerja import embedded_db


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_db, "RUN_DIR", tmp_path)
    monkeypatch.setattr(embedded_db, "DATA_DIR", tmp_path / "postgres")
    yield tmp_path / "postgres"
    embedded_db.stop()


def test_it_starts_creates_the_database_is_found_again_and_stops(data_dir):
    url = embedded_db.start("prakerja_embedded_test")
    assert url.startswith("postgres://postgres@127.0.0.1:")
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version_num')::int")
        database, version = cursor.fetchone()
    assert database == "prakerja_embedded_test"
    assert version >= 180000
    assert embedded_db.start("prakerja_embedded_test") == url  # the running server, reused
    assert embedded_db.stop() is True
    assert embedded_db.stop() is False
