"""Choose the PostgreSQL database for `make test` (README, "The two commands"): DATABASE_URL when
set, else the local server at 127.0.0.1:5432 when it answers, else the embedded server under
.run/ (started if needed: prakerja/embedded_db.py). Prints the URL, and where it is on stderr."""

import os
import socket
import sys
from pathlib import Path

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/prakerja"


def postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def pick() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if postgres_answers():
        return LOCAL_POSTGRES
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from prakerja import embedded_db

    print(
        "make test: nothing answers on 127.0.0.1:5432, using the embedded PostgreSQL",
        file=sys.stderr,
    )
    return embedded_db.start()


if __name__ == "__main__":
    url = pick()
    print(f"make test: database {url.split('@')[-1]}", file=sys.stderr)
    print(url)
