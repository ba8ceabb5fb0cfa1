"""Helpers for the scheduled jobs and their operator commands.

- :func:`enqueue_on_commit` queues a Celery task from a service without importing the task's
  module: tasks are thin adapters that import services, so a service that must trigger follow-up
  work names the task, and services and tasks import in one direction only.
- :func:`dry_run_block` lets a command run its job for real and roll everything back, with every
  outside effect kept in-process (SMS and email to memory, payouts to the fake gateway, whose
  record is in the database and rolled back too).
- :class:`JobCommand` is the shape of a job's operator command.
"""

import datetime as dt
import logging
from contextlib import contextmanager

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from prakerja import clock, jobruns

logger = logging.getLogger(__name__)


def enqueue_on_commit(
    task_name: str, *args, robust: bool = False, inline_if_broker_down: bool = False
) -> None:
    """Queue the task registered as ``task_name`` with ``args`` once the current transaction
    commits (at once outside a transaction): a rolled-back change queues nothing.

    ``robust``: a failure to queue is logged, never raised to the caller whose work has
    committed (a payout chunk, a review). ``inline_if_broker_down``: with the broker (Redis)
    unreachable, run the task in this process instead, so a person who just acted neither sees a
    500 nor loses the message (complaint emails).
    """

    def enqueue_task() -> None:
        # A named function, not a functools.partial: Django names the callback when it logs a
        # robust one that failed.
        enqueue(task_name, *args, inline_if_broker_down=inline_if_broker_down)

    transaction.on_commit(enqueue_task, robust=robust)


def enqueue(
    task_name: str, *args, inline_if_broker_down: bool = False, countdown: float | None = None
) -> None:
    """Queue the task registered as ``task_name`` now (see :func:`enqueue_on_commit`), to run
    ``countdown`` seconds from now if given. A name this process does not know (a worker-only
    app) goes to the broker by name."""
    task = _task(task_name)
    if task is None:
        current_app.send_task(task_name, args=args, countdown=countdown)
        return
    try:
        if countdown is None:
            task.delay(*args)
        else:
            task.apply_async(args, countdown=countdown)
    except OperationalError:
        if not inline_if_broker_down:
            raise
        logger.warning("broker unreachable, running %s inline", task_name, exc_info=True)
        task(*args)


def _task(name: str):
    if name not in current_app.tasks:
        # A web process imports the apps' tasks modules only on demand (autodiscovery).
        current_app.loader.import_default_modules()
    return current_app.tasks.get(name)


@contextmanager
def dry_run_block(enabled: bool = True):
    """Run the block in a transaction that is rolled back when ``enabled``; messages and
    payouts stay in-process. Tasks queued with ``transaction.on_commit`` are dropped with the
    rollback. Without ``enabled`` the block simply runs."""
    if not enabled:
        yield
        return
    with _in_process_gateways(), transaction.atomic():
        yield
        transaction.set_rollback(True)


IN_PROCESS_GATEWAYS = {
    "SMS_BACKEND": "locmem",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "PAYOUT_BACKEND": "fake",
}


@contextmanager
def _in_process_gateways():
    """SMS and email to memory and payouts to the fake gateway, in this process until the block
    ends (each is read from the settings when a message or payout is sent)."""
    saved = {name: getattr(settings, name) for name in IN_PROCESS_GATEWAYS}
    for name, value in IN_PROCESS_GATEWAYS.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)


@contextmanager
def job_block(job: str, *, dry_run: bool = False):
    """The block of a job's operator command: a dry run is rolled back (:func:`dry_run_block`)
    and recorded nowhere; a real run is recorded as a run of ``job`` (its beat entry;
    ``prakerja.jobruns``). Yields the run, whose ``counts`` the command sets."""
    if dry_run or not job:
        with dry_run_block(dry_run):
            yield jobruns.Run()
        return
    with jobruns.record(job) as run:
        yield run


class JobCommand(BaseCommand):
    """A management command for a scheduled job: ``--now`` (``prakerja.clock``),
    ``--dry-run``, and one summary line. Subclasses implement :meth:`run`, which returns the line
    (this run's counts, and ``already_ran=...`` when the cut-off had already run).

    ``job`` names the job's beat entry (``CELERY_BEAT_SCHEDULE``): a run that is not a dry run
    is recorded under it with the counts of its line (``prakerja.jobruns``), as the beat task's
    runs are, so ``/metrics`` shows the last run whoever started it."""

    job = ""
    now_help = clock.NOW_HELP

    def add_arguments(self, parser):
        clock.add_now_argument(parser, help=self.now_help)
        clock.add_dry_run_argument(parser)

    def handle(self, *args, now=None, dry_run=False, **options):
        with job_block(self.job, dry_run=dry_run) as run:
            line = self.run(now=now or timezone.now(), **options)
            run.counts = jobruns.counts_of(line)
        self.stdout.write(line + (" dry_run=1" if dry_run else ""))

    def run(self, *, now: dt.datetime, **options) -> str:
        raise NotImplementedError
