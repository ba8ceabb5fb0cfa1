"""The nightly first-purchase sweep (docs/program.md section 4).

Every selected or active participant whose first-purchase deadline passed before the cut-off
without a purchase is, in one transaction per batch: revoked (``no_first_purchase``),
blacklisted (NIK hash, masked NIK, name, legal basis), has the remaining balance forfeited by a
ledger entry, gets audit rows, and frees a place in the recovered quota pool of their wave and
province.

It is the counterpart of ``participants.services.debit_for_purchase``: both are conditional
UPDATEs of the same row, so whichever commits first wins and the other sees the new row. A purchase
in flight holds the row lock; the sweep skips locked rows (``SKIP LOCKED``) instead of waiting, so
purchases are never blocked by it, and a second pass picks up rows that were locked in the first.

On PostgreSQL the batches are shared out to ``SWEEP_WORKERS`` threads, each with its own database
connection: one statement first cuts the candidates into id ranges of at most one batch each, and
the workers take ranges from a queue. A batch is CPU work in its PostgreSQL backend, so on two
cores two workers nearly halve the wall time; the batches touch disjoint participants, and the few
shared rows (recovered pool, the run's counters) are updated last, in a fixed order.
"""

import dataclasses
import datetime as dt
import itertools
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, connections, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import deadlines, sms
from participants.jobs import enqueue_on_commit
from participants.models import (
    BlacklistEntry,
    LedgerEntry,
    Participant,
    ParticipantEvent,
    User,
)
from participants.services import LEGAL_BASIS_NO_FIRST_PURCHASE
from trainings.models import RecoveredQuota, SweepRun
from trainings.waves import return_places

logger = logging.getLogger(__name__)

REASON = BlacklistEntry.Reason.NO_FIRST_PURCHASE
SWEEPABLE = (Participant.Status.SELECTED, Participant.Status.ACTIVE)
# pg_try_advisory_lock key: one sweep at a time across every beat, worker and command.
ADVISORY_LOCK_KEY = 0x5052_414B_0001  # "PRAK" 1
# The upper bound of the last range (a bigint id never exceeds it).
MAX_ID = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class BatchResult:
    selected: int
    last_id: int | None
    revoked_ids: list[int]
    forfeited_idr: int


def candidates(*, cutoff: dt.datetime):
    """Participants the sweep at ``cutoff`` must revoke (uses the ``sweep_candidates`` index)."""
    return Participant.objects.filter(
        status__in=SWEEPABLE,
        first_purchase_at__isnull=True,
        first_purchase_deadline__lt=cutoff,
    )


def sweep_deadlines(
    *,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
    notify: bool = True,
    workers: int | None = None,
) -> SweepRun | None:
    """Revoke everyone past the first-purchase deadline as of ``now`` (the cut-off).

    Guarantees: idempotent per cut-off (a :class:`SweepRun` row per cut-off; a rerun finds nothing
    left to do and changes nothing); resumable (each batch commits on its own, so a crash leaves
    whole batches done and a rerun finishes the rest); run late, it revokes exactly those whose
    deadline is before the cut-off. Each batch of at most ``batch_size`` participants is one
    transaction of a constant number of SQL statements.

    Returns the run, or ``None`` when another sweep holds the PostgreSQL advisory lock (nothing
    was done). Revocation notices (SMS and email) are queued after each batch commits. On
    PostgreSQL, outside a transaction, ``workers`` threads (``SWEEP_WORKERS``) run the batches.
    """
    cutoff = now or timezone.now()
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    workers = workers or settings.SWEEP_WORKERS
    if batch_size > 10_000:
        raise ValueError("a sweep batch holds at most 10,000 participants")
    with _sweep_lock() as acquired:
        if not acquired:
            logger.info("sweep skipped: another sweep holds the lock")
            return None
        run, _created = SweepRun.objects.get_or_create(
            cutoff=cutoff, defaults={"started_at": timezone.now()}
        )
        postgres = connection.vendor == "postgresql"
        run_batch = _batch_postgres if postgres else _batch_orm
        # Worker threads have connections of their own: they cannot see a caller's transaction
        # that has not committed, so inside one the batches run here, one after another.
        workers = 1 if connection.in_atomic_block or not postgres else workers
        # Pass 1 walks the ids once (keyset); pass 2 picks up rows a purchase had locked during
        # pass 1 and that are still candidates (the purchase failed or was rolled back).
        for _pass in range(2):
            if not _has_candidates(cutoff=cutoff):
                break
            kwargs = {"run_batch": run_batch, "run": run, "cutoff": cutoff, "limit": batch_size}
            if workers > 1:
                batches = _parallel_batches(workers=workers, **kwargs)
            else:
                batches = _serial_batches(**kwargs)
            for result in batches:
                if result.revoked_ids and notify:
                    _queue_notices(result.revoked_ids)
        SweepRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )
        run.refresh_from_db()
    logger.info(
        "sweep finished",
        extra={"cutoff": cutoff.isoformat(), "revoked": run.revoked, "batches": run.batches},
    )
    return run


def _has_candidates(*, cutoff: dt.datetime) -> bool:
    # Ordered by the deadline so that PostgreSQL walks the partial ``sweep_candidates`` index and
    # stops at the first entry: a rerun with nothing to do costs one index probe, not a scan.
    first = candidates(cutoff=cutoff).order_by("first_purchase_deadline").values_list("pk")[:1]
    return bool(list(first))


def _run_batch(run_batch: Callable[..., BatchResult], **kwargs) -> BatchResult:
    # One short transaction per batch. A seam for tests that simulate a crash between batches.
    with transaction.atomic():
        return run_batch(**kwargs)


def _serial_batches(*, run_batch, run, cutoff, limit) -> Iterator[BatchResult]:
    """Keyset batches on this connection, each committed before the next starts."""
    after = 0
    while True:
        result = _run_batch(
            run_batch, run=run, cutoff=cutoff, after=after, upto=MAX_ID, limit=limit
        )
        yield result
        if result.last_id is None:
            return
        after = result.last_id


def _ranges(*, cutoff: dt.datetime, limit: int) -> list[tuple[int, int]]:
    """The candidates cut by id into consecutive ranges ``(after, upto]`` of at most ``limit``
    each, in one statement: every ``limit``-th candidate id closes a range."""
    closing = (
        candidates(cutoff=cutoff)
        .annotate(n=Window(RowNumber(), order_by=F("pk").asc()))
        .annotate(remainder=F("n") % limit)
        .filter(remainder=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(itertools.pairwise([0, *closing, MAX_ID]))


_FINISHED = object()


def _parallel_batches(*, workers, run_batch, run, cutoff, limit) -> Iterator[BatchResult]:
    """The ranges' batches run by ``workers`` threads; results are yielded here as each batch
    commits. The first error stops the workers from taking new ranges and is raised here once
    they have stopped (batches already committed stay, as in a serial run that crashed)."""
    todo: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
    for span in _ranges(cutoff=cutoff, limit=limit):
        todo.put(span)
    done: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    after, upto = todo.get_nowait()
                except queue.Empty:
                    return
                done.put(
                    _run_batch(
                        run_batch, run=run, cutoff=cutoff, after=after, upto=upto, limit=limit
                    )
                )
        except BaseException as exc:  # handed to the caller's thread, raised there
            stop.set()
            done.put(exc)
        finally:
            connections.close_all()  # this thread's connections
            done.put(_FINISHED)

    threads = [
        threading.Thread(target=work, name=f"sweep-worker-{number}", daemon=True)
        for number in range(workers)
    ]
    for thread in threads:
        thread.start()
    error: BaseException | None = None
    try:
        running = len(threads)
        while running:
            item = done.get()
            if item is _FINISHED:
                running -= 1
            elif isinstance(item, BaseException):
                error = error or item
            else:
                yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if error is not None:
        raise error


class _sweep_lock:
    """A session-level PostgreSQL advisory lock, held across the batches' transactions.

    Other databases (SQLite under ``make run``) have a single writer anyway: the lock is a no-op.
    """

    def __enter__(self) -> bool:
        self.held = False
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


# --- one batch, PostgreSQL: one statement --------------------------------------------------------


def _tables() -> dict[str, str]:
    return {
        "participant": Participant._meta.db_table,
        "user": User._meta.db_table,
        "blacklist": BlacklistEntry._meta.db_table,
        "ledger": LedgerEntry._meta.db_table,
        "event": ParticipantEvent._meta.db_table,
        "pool": RecoveredQuota._meta.db_table,
        "run": SweepRun._meta.db_table,
    }


# The WHERE is repeated in the UPDATE: the batch rows are locked, and a purchase that committed
# first (first_purchase_at set) or a staff revocation is never overwritten.
BATCH_SQL = """
WITH batch AS (
    SELECT p.id, p.status AS old_status, p.balance_idr AS old_balance
    FROM {participant} p
    WHERE p.status IN ('selected', 'active')
      AND p.first_purchase_at IS NULL
      AND p.first_purchase_deadline < %(cutoff)s
      AND p.id > %(after)s AND p.id <= %(upto)s
    ORDER BY p.id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
revoked AS (
    UPDATE {participant} p
    SET status = 'revoked', revoked_at = %(cutoff)s, revoke_reason = %(reason)s,
        balance_idr = 0, updated_at = %(cutoff)s
    WHERE p.id = ANY(ARRAY(SELECT id FROM batch))
      AND p.status IN ('selected', 'active')
      AND p.first_purchase_at IS NULL
      AND p.first_purchase_deadline < %(cutoff)s
    RETURNING p.id, p.user_id, p.wave_id, p.province_id, p.nik_hash, p.nik_masked
),
gone AS (
    SELECT r.*, b.old_status, b.old_balance FROM revoked r JOIN batch b ON b.id = r.id
),
blacklisted AS (
    INSERT INTO {blacklist} (nik_hash, nik_masked, full_name, participant_id, reason_code,
                             legal_basis, note, created_at, removal_reason)
    SELECT g.nik_hash, g.nik_masked,
           (SELECT u.full_name FROM {user} u WHERE u.id = g.user_id),
           g.id, %(reason)s, %(legal_basis)s, '', %(cutoff)s, ''
    FROM gone g
    WHERE g.nik_hash IS NOT NULL
    ON CONFLICT (nik_hash) WHERE removed_at IS NULL DO NOTHING
    RETURNING participant_id
),
forfeited AS (
    INSERT INTO {ledger} (participant_id, kind, amount_idr, balance_after_idr, reference,
                          created_at)
    SELECT g.id, 'forfeit', -g.old_balance, 0, %(reference)s, %(cutoff)s
    FROM gone g
    WHERE g.old_balance > 0
    RETURNING amount_idr
),
events AS (
    INSERT INTO {event} (participant_id, kind, from_status, to_status, reason_code, note,
                         created_at)
    SELECT g.id, 'status', g.old_status, 'revoked', %(reason)s, %(legal_basis)s, %(cutoff)s
    FROM gone g
    UNION ALL
    SELECT b.participant_id, 'blacklist', '', '', %(reason)s, %(legal_basis)s, %(cutoff)s
    FROM blacklisted b
),
pools AS (
    INSERT INTO {pool} (source_wave_id, province_id, recovered, allocated)
    SELECT g.wave_id, g.province_id, count(*), 0
    FROM gone g
    WHERE g.wave_id IS NOT NULL AND g.province_id IS NOT NULL
    GROUP BY g.wave_id, g.province_id
    -- A fixed lock order for concurrent batches: pool rows sorted, then the run's row.
    ORDER BY g.wave_id, g.province_id
    ON CONFLICT (source_wave_id, province_id)
    DO UPDATE SET recovered = {pool}.recovered + EXCLUDED.recovered
),
counted AS (
    UPDATE {run}
    SET revoked = revoked + (SELECT count(*) FROM gone),
        forfeited_idr = forfeited_idr + (SELECT coalesce(-sum(amount_idr), 0) FROM forfeited),
        batches = batches + 1
    WHERE id = %(run_id)s AND EXISTS (SELECT 1 FROM gone)
)
SELECT (SELECT count(*) FROM batch),
       (SELECT max(id) FROM batch),
       (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM gone),
       (SELECT coalesce(-sum(amount_idr), 0) FROM forfeited)
"""


def _batch_postgres(
    *, run: SweepRun, cutoff: dt.datetime, after: int, upto: int, limit: int
) -> BatchResult:
    with connection.cursor() as cursor:
        cursor.execute(
            BATCH_SQL.format(**_tables()),
            {
                "cutoff": cutoff,
                "after": after,
                "upto": upto,
                "limit": limit,
                "reason": REASON,
                "legal_basis": LEGAL_BASIS_NO_FIRST_PURCHASE,
                "reference": f"sweep:{run.pk}",
                "run_id": run.pk,
            },
        )
        selected, last_id, revoked_ids, forfeited = cursor.fetchone()
    return BatchResult(
        selected=selected, last_id=last_id, revoked_ids=list(revoked_ids), forfeited_idr=forfeited
    )


# --- one batch, any database (SQLite under `make run`): a few ORM statements ---------------------


def _batch_orm(
    *, run: SweepRun, cutoff: dt.datetime, after: int, upto: int, limit: int
) -> BatchResult:
    # SQLite runs one writer at a time (transactions start IMMEDIATE), so what we read inside
    # this transaction is what we update.
    rows = list(
        candidates(cutoff=cutoff)
        .filter(pk__gt=after, pk__lte=upto)
        .order_by("pk")
        .values(
            "pk",
            "status",
            "balance_idr",
            "wave_id",
            "province_id",
            "nik_hash",
            "nik_masked",
            "user__full_name",
        )[:limit]
    )
    if not rows:
        return BatchResult(selected=0, last_id=None, revoked_ids=[], forfeited_idr=0)
    ids = [row["pk"] for row in rows]
    candidates(cutoff=cutoff).filter(pk__in=ids).update(
        status=Participant.Status.REVOKED,
        revoked_at=cutoff,
        revoke_reason=REASON,
        balance_idr=0,
        updated_at=cutoff,
    )
    already = set(
        BlacklistEntry.objects.filter(
            nik_hash__in=[row["nik_hash"] for row in rows if row["nik_hash"]],
            removed_at__isnull=True,
        ).values_list("nik_hash", flat=True)
    )
    new_entries = [row for row in rows if row["nik_hash"] and row["nik_hash"] not in already]
    BlacklistEntry.objects.bulk_create(
        BlacklistEntry(
            nik_hash=row["nik_hash"],
            nik_masked=row["nik_masked"],
            full_name=row["user__full_name"],
            participant_id=row["pk"],
            reason_code=REASON,
            legal_basis=LEGAL_BASIS_NO_FIRST_PURCHASE,
            created_at=cutoff,
        )
        for row in new_entries
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            participant_id=row["pk"],
            kind=LedgerEntry.Kind.FORFEIT,
            amount_idr=-row["balance_idr"],
            balance_after_idr=0,
            reference=f"sweep:{run.pk}",
            created_at=cutoff,
        )
        for row in rows
        if row["balance_idr"] > 0
    )
    events = [
        ParticipantEvent(
            participant_id=row["pk"],
            kind=ParticipantEvent.Kind.STATUS,
            from_status=row["status"],
            to_status=Participant.Status.REVOKED,
            reason_code=REASON,
            note=LEGAL_BASIS_NO_FIRST_PURCHASE,
            created_at=cutoff,
        )
        for row in rows
    ]
    events += [
        ParticipantEvent(
            participant_id=row["pk"],
            kind=ParticipantEvent.Kind.BLACKLIST,
            reason_code=REASON,
            note=LEGAL_BASIS_NO_FIRST_PURCHASE,
            created_at=cutoff,
        )
        for row in new_entries
    ]
    ParticipantEvent.objects.bulk_create(events)
    freed: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows:
        if row["wave_id"] and row["province_id"]:
            freed[(row["wave_id"], row["province_id"])] += 1
    return_places(places=freed)
    forfeited = sum(row["balance_idr"] for row in rows)
    SweepRun.objects.filter(pk=run.pk).update(
        revoked=F("revoked") + len(rows),
        forfeited_idr=F("forfeited_idr") + forfeited,
        batches=F("batches") + 1,
    )
    return BatchResult(
        selected=len(rows), last_id=ids[-1], revoked_ids=ids, forfeited_idr=forfeited
    )


# --- notices --------------------------------------------------------------------------------------


def _queue_notices(participant_ids: list[int]) -> None:
    chunk = settings.SWEEP_NOTIFY_CHUNK
    for start in range(0, len(participant_ids), chunk):
        ids = participant_ids[start : start + chunk]
        # The batch has committed (we are outside its atomic block); on_commit also covers a
        # caller that wraps the whole sweep in a transaction.
        enqueue_on_commit("trainings.tasks.notify_revoked_task", ids)


def revocation_text(*, deadline: dt.datetime | None) -> str:
    day = deadlines.wib_date(deadline).strftime("%d-%m-%Y") if deadline else "-"
    return _(
        "Kepesertaan Kartu Prakerja Anda dicabut karena tidak membeli pelatihan pertama "
        "dalam %(days)d hari sejak pengumuman (batas %(day)s 23:59 WIB). Sesuai %(basis)s, "
        "NIK Anda tidak dapat mendaftar kembali dan sisa saldo pelatihan hangus."
    ) % {"days": settings.FIRST_PURCHASE_DAYS, "day": day, "basis": LEGAL_BASIS_NO_FIRST_PURCHASE}


def notify_revoked(*, participant_ids: list[int]) -> int:
    """Send the revocation notice (SMS and email: revoked, why, the rule) to these participants.

    Only participants revoked for ``no_first_purchase`` are notified. Returns how many.
    """
    people = list(
        Participant.objects.filter(
            pk__in=participant_ids,
            status=Participant.Status.REVOKED,
            revoke_reason=REASON,
        )
        .select_related("user")
        .only("phone", "first_purchase_deadline", "user__email", "user__full_name")
    )
    messages = []
    for person in people:
        text = revocation_text(deadline=person.first_purchase_deadline)
        if person.phone:
            try:
                sms.send_sms(to=person.phone, text=text)
            except sms.SmsError:
                logger.warning("revocation sms failed", extra={"participant": person.pk})
        if person.user.email:
            messages.append(
                (
                    _("Kepesertaan Kartu Prakerja dicabut"),
                    f"{_('Yth.')} {person.user.full_name},\n\n{text}\n",
                    settings.DEFAULT_FROM_EMAIL,
                    [person.user.email],
                )
            )
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(people)
