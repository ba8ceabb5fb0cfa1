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


def truncate_program_tables() -> None:
    """Empty the program's tables (participants, trainings, incentives, complaints, admin log)
    of the benchmark database, so every run starts from the same state."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND (tablename LIKE 'participants_%%' "
            "OR tablename LIKE 'trainings_%%' OR tablename LIKE 'incentives_%%' "
            "OR tablename LIKE 'complaints_%%' OR tablename = 'django_admin_log' "
            "OR tablename = 'django_session')"
        )
        cursor.execute(f"TRUNCATE {cursor.fetchone()[0]} RESTART IDENTITY CASCADE")


def active_cards(*, users, wave, now, phone_prefix: str = "+62813") -> list:
    """Bulk-create an active participant with a card and the full balance (and its grant in the
    ledger) for each of ``users``, selected in ``wave``: the state the program's services leave
    a person in after selection and orientation, without one query per person."""
    from django.conf import settings

    from participants import cards, deadlines
    from participants.models import LedgerEntry, Participant

    participants = Participant.objects.bulk_create(
        Participant(
            user=user,
            phone=f"{phone_prefix}{i:08d}",
            status=Participant.Status.ACTIVE,
            wave=wave,
            selected_at=wave.announces_at,
            oriented_at=now,
            card_number=cards.new_card_number(),
            first_purchase_deadline=deadlines.first_purchase_deadline(wave.announces_at),
            balance_idr=settings.TRAINING_BALANCE_IDR,
            balance_expires_at=deadlines.balance_expiry(now),
        )
        for i, user in enumerate(users)
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            participant=p,
            kind=LedgerEntry.Kind.GRANT,
            amount_idr=settings.TRAINING_BALANCE_IDR,
            balance_after_idr=settings.TRAINING_BALANCE_IDR,
            created_at=wave.announces_at,
        )
        for p in participants
    )
    return participants


FLOOR_ROWS = 1_000_000


def floor_seconds() -> float:
    """A fixed reference workload, timed in the same run as a job, so a figure taken on a busy,
    shared machine can be quoted as a ratio to it: PostgreSQL writes 1,000,000 rows into a new
    table, updates each once (new row versions, WAL, like the jobs' updates) and drops it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        started = time.perf_counter()
        cursor.execute(
            "CREATE TABLE bench_floor AS "
            "SELECT g AS id, md5(g::text) AS digest FROM generate_series(1, %s) g",
            [FLOOR_ROWS],
        )
        cursor.execute("UPDATE bench_floor SET digest = md5(digest)")
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor")
    return elapsed


def report_ratio(name: str, seconds: float, floors: list[float]) -> None:
    """Print a job's time beside the floors measured around it, and their ratio."""
    floor = sum(floors) / len(floors)
    print(
        f"{name}: {seconds:.1f} s, floor {floor:.2f} s "
        f"({', '.join(f'{f:.2f}' for f in floors)}), ratio {seconds / floor:.2f}, "
        f"load_avg={os.getloadavg()[0]:.1f}"
    )
