"""The nightly first-purchase sweep (docs/program.md section 4).

Every participant of ``participants.selectors.past_first_purchase_deadline`` (selected or
active, no purchase, deadline passed before the cut-off while the balance was still alive) is,
in one transaction per batch, revoked by ``participants.services.bulk_revoke`` (status
``no_first_purchase``, blacklist with the legal basis, forfeit ledger entry, audit rows), and
frees a place in the recovered quota pool of their wave and province. This module keeps only the
orchestration: the lock, the run row, the batches and the notices.

It is the counterpart of ``participants.services.debit_for_purchase``: both are conditional
UPDATEs of the same row, so whichever commits first wins and the other sees the new row. A purchase
in flight holds the row lock; the sweep skips locked rows (``SKIP LOCKED``) instead of waiting, so
purchases are never blocked by it, and a second pass picks up rows that were locked in the first.

The batches are shared out to ``SWEEP_WORKERS`` threads, each with its own database
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
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import notices, selectors
from participants import services as participant_services
from participants.cards import deadlines
from participants.models import BlacklistEntry, Participant
from participants.services import LEGAL_BASIS_NO_FIRST_PURCHASE
from prakerja.jobs import enqueue_on_commit
from trainings.models import SweepRun
from trainings.waves import return_places

logger = logging.getLogger(__name__)

REASON = BlacklistEntry.Reason.NO_FIRST_PURCHASE
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
    return selectors.past_first_purchase_deadline(as_of=cutoff)


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
    was done). Revocation notices (SMS and email) are queued after each batch commits. Outside a
    transaction, ``workers`` threads (``SWEEP_WORKERS``) run the batches.
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
        run_batch = _batch
        # Worker threads have connections of their own: they cannot see a caller's transaction
        # that has not committed, so inside one the batches run here, one after another.
        workers = 1 if connection.in_atomic_block else workers
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
    """A session-level PostgreSQL advisory lock, held across the batches' transactions."""

    def __enter__(self) -> bool:
        self.held = False
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


# --- one batch: the revocations are participants' (bulk_revoke); the places freed are ours ------


def _batch(*, run: SweepRun, cutoff: dt.datetime, after: int, upto: int, limit: int) -> BatchResult:
    """Revoke the next at most ``limit`` candidates with ids in ``(after, upto]`` (rows a
    purchase holds are skipped), return their places to the recovered pool and count them on the
    run, in the caller's transaction."""
    revocation = participant_services.bulk_revoke(
        participants=candidates(cutoff=cutoff).filter(pk__gt=after, pk__lte=upto),
        reason_code=REASON,
        legal_basis=LEGAL_BASIS_NO_FIRST_PURCHASE,
        now=cutoff,
        reference=f"sweep:{run.pk}",
        limit=limit,
        skip_locked=True,
    )
    if revocation.revoked_ids:
        return_places(places={(wave, province): n for wave, province, n in revocation.freed})
        SweepRun.objects.filter(pk=run.pk).update(
            revoked=F("revoked") + len(revocation.revoked_ids),
            forfeited_idr=F("forfeited_idr") + revocation.forfeited_idr,
            batches=F("batches") + 1,
        )
    return BatchResult(
        selected=revocation.considered,
        last_id=revocation.last_id,
        revoked_ids=revocation.revoked_ids,
        forfeited_idr=revocation.forfeited_idr,
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
    return _(
        "Kepesertaan Kartu Prakerja Anda dicabut karena tidak membeli pelatihan pertama "
        "dalam %(days)d hari sejak pengumuman (batas %(deadline)s). Sesuai %(basis)s, "
        "NIK Anda tidak dapat mendaftar kembali dan sisa saldo pelatihan hangus."
    ) % {
        "days": settings.FIRST_PURCHASE_DAYS,
        "deadline": deadlines.wib_text(deadline) if deadline else "-",
        "basis": LEGAL_BASIS_NO_FIRST_PURCHASE,
    }


def _notice(person: Participant) -> notices.Notice:
    text = revocation_text(deadline=person.first_purchase_deadline)
    return notices.Notice(
        phone=person.phone,
        email=person.user.email,
        sms_text=text,
        subject=_("Kepesertaan Kartu Prakerja dicabut"),
        body=notices.letter(name=person.user.full_name, text=text),
        log={"participant": person.pk},
    )


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
    notices.send_notices((_notice(person) for person in people), label="revocation")
    return len(people)
