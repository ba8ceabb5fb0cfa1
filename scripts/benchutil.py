"""Shared by the benchmark scripts (run as ``python scripts/bench_*.py``)."""

import os
import time

from django.db import DatabaseError, connection


def settle() -> None:
    """Flush what loading the data wrote before timing: a CHECKPOINT, then the OS cache.

    Otherwise the job is measured while the server and the kernel still write the load out; a
    real job reads rows written days or weeks earlier. CHECKPOINT needs a superuser (or the
    pg_checkpoint role); without it the script says so and goes on.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        print(f"(no CHECKPOINT before timing: {exc})".strip())
    os.sync()
    time.sleep(5)
