"""disburse_incentives: the daily disbursement run, by hand (README, Operations)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from incentives import services


class Command(BaseCommand):
    help = (
        "Schedule newly eligible incentives, resolve unknown payout outcomes, group due "
        "installments into a batch and send every approved batch to the payout backend "
        "(the same service as the daily Celery beat task). Prints a one-line summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=dt.datetime.fromisoformat,
            help="Run as of this ISO-8601 instant (catch-up runs, demos, tests).",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, now=None, batch_size=None, **options):
        if now is not None and now.tzinfo is None:
            raise CommandError("--now needs a time zone offset, e.g. 2026-01-05T01:30:00+07:00")
        try:
            summary = services.run_disbursement(now=now, batch_size=batch_size)
        except Exception as exc:
            raise CommandError(f"disburse_incentives failed: {exc}") from exc
        self.stdout.write(f"disburse_incentives: {summary.line()}")
