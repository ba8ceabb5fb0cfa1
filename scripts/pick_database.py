"""Choose the database for `make test` (README, "The two commands"): DATABASE_URL when set,
else the local PostgreSQL at 127.0.0.1:5432 when it answers, else the SQLite file. Prints the
URL."""

import os
import socket
import sys

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/prakerja"
SQLITE = "sqlite:///test.sqlite3"


def postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def pick() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    return LOCAL_POSTGRES if postgres_answers() else SQLITE


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--describe":
        url = sys.argv[2]
        if url.startswith("sqlite"):
            print(f"{url} (SQLite: tests marked 'postgres' are skipped, listed at the end)")
        else:
            print(url.split("@")[-1] if "@" in url else url)
    else:
        print(pick())
