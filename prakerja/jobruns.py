"""The record of each scheduled job's last run (``prakerja.models.JobStatus``).

A job is named by its beat entry in ``CELERY_BEAT_SCHEDULE`` (``sweep-deadlines``,
``incentives-disburse``...), so its expected interval is known, and it is recorded the same way
whoever runs it: the beat task (:func:`recorded`) or the operator command
(``prakerja.jobs.JobCommand``, through :func:`record`). A run records when it started, when
it finished, how long it took, whether it failed, and its counts, taken from what the job
reports anyway: the task's summary or the command's summary line (``key=<integer>`` pairs).
``/metrics`` reads the table at scrape time, so every host reports the same last run.

Recording never changes the job's result: a failure to write the record is logged and the job's
own outcome (its return value or its exception) goes on.
"""

import dataclasses
import functools
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)

_COUNT = re.compile(r"(?:^|\s)([a-z][a-z0-9_]*)=(-?\d+)(?=\s|$)")


def counts_of(result) -> dict[str, int]:
    """The integer counts in a job's result: a dict's or dataclass's integer values, or the
    ``key=<integer>`` pairs of a summary line; anything else has none."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    if isinstance(result, dict):
        counts = {}
        for key, value in result.items():
            if isinstance(value, dict):
                counts.update(counts_of(value))
            elif isinstance(value, int) and not isinstance(value, bool):
                counts[str(key)] = value
        return counts
    if isinstance(result, str):
        return {key: int(value) for key, value in _COUNT.findall(result)}
    return {}


@dataclasses.dataclass
class Run:
    counts: dict[str, int] = dataclasses.field(default_factory=dict)


@contextmanager
def record(job: str) -> Iterator[Run]:
    """Record one run of ``job`` around the block; the block sets ``run.counts``."""
    from prakerja.models import JobStatus

    started = timezone.now()
    clock = time.monotonic()
    try:
        JobStatus.objects.get_or_create(job=job)
        JobStatus.objects.filter(job=job).update(last_started_at=started)
    except DatabaseError:
        logger.exception("job run not recorded", extra={"job": job})
    run = Run()
    try:
        yield run
    except BaseException as exc:
        _finish(job, clock=clock, ok=False, counts={}, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(job, clock=clock, ok=True, counts=run.counts, error="")


def _finish(job: str, *, clock: float, ok: bool, counts: dict[str, int], error: str) -> None:
    from prakerja.models import JobStatus

    now = timezone.now()
    changes = {
        "last_finished_at": now,
        "last_duration_seconds": round(time.monotonic() - clock, 3),
        "last_outcome": JobStatus.Outcome.OK if ok else JobStatus.Outcome.FAILED,
        "last_error": error[:300],
    }
    if ok:
        changes.update(last_success_at=now, last_counts=counts, runs=F("runs") + 1)
    else:
        changes.update(failures=F("failures") + 1)
    try:
        JobStatus.objects.filter(job=job).update(**changes)
    except DatabaseError:
        # A job that failed inside a broken transaction cannot write here; its error still
        # reaches the caller and the log.
        logger.exception("job run not recorded", extra={"job": job})


def recorded(job: str):
    """Decorate a beat task: each call is recorded as a run of ``job`` with the counts of what
    the task returns."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with record(job) as run:
                result = function(*args, **kwargs)
                run.counts = counts_of(result)
            return result

        return wrapper

    return decorate
