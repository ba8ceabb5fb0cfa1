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
from contextlib import contextmanager

from celery import current_app
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from participants import clock


def enqueue_on_commit(task_name: str, *args) -> None:
    """Queue the task registered as ``task_name`` with ``args`` once the current transaction
    commits (at once outside a transaction): a rolled-back change queues nothing."""
    transaction.on_commit(lambda: _task(task_name).delay(*args))


def _task(name: str):
    if name not in current_app.tasks:
        # A web process imports the apps' tasks modules only on demand (autodiscovery).
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


@contextmanager
def dry_run_block(enabled: bool = True):
    """Run the block in a transaction that is rolled back when ``enabled``; messages and
    payouts stay in-process. Tasks queued with ``transaction.on_commit`` are dropped with the
    rollback. Without ``enabled`` the block simply runs."""
    if not enabled:
        yield
        return
    with (
        override_settings(
            SMS_BACKEND="locmem",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PAYOUT_BACKEND="fake",
        ),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)


class JobCommand(BaseCommand):
    """A management command for a scheduled job: ``--now`` (``participants.clock``),
    ``--dry-run``, and one summary line. Subclasses implement :meth:`run`, which returns the line
    (this run's counts, and ``already_ran=...`` when the cut-off had already run)."""

    def add_arguments(self, parser):
        clock.add_now_argument(parser)
        clock.add_dry_run_argument(parser)

    def handle(self, *args, now=None, dry_run=False, **options):
        with dry_run_block(dry_run):
            line = self.run(now=now or timezone.now(), **options)
        self.stdout.write(line + (" dry_run=1" if dry_run else ""))

    def run(self, *, now: dt.datetime, **options) -> str:
        raise NotImplementedError
