"""disburse_incentives: the daily disbursement run, by hand (README, Operations)."""

from django.core.management.base import BaseCommand, CommandError

from incentives import services
from participants import clock, jobs
from prakerja import jobruns


class Command(BaseCommand):
    help = (
        "Schedule newly eligible incentives, resolve unknown payout outcomes, group due "
        "installments into a batch and send every approved batch to the payout backend "
        "(the same service as the daily Celery beat task). Prints a one-line summary of this run's "
        "counts (a rerun finds nothing left to do). With --dry-run the payouts go to the fake "
        "gateway and everything is rolled back. --now: " + clock.NOW_HELP + "."
    )

    def add_arguments(self, parser):
        clock.add_now_argument(parser)
        clock.add_dry_run_argument(parser)
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, now=None, batch_size=None, dry_run=False, **options):
        try:
            with jobs.job_block("incentives-disburse", dry_run=dry_run) as run:
                summary = services.run_disbursement(now=now, batch_size=batch_size)
                run.counts = jobruns.counts_of(summary.line())
        except Exception as exc:
            raise CommandError(f"disburse_incentives failed: {exc}") from exc
        self.stdout.write(
            f"disburse_incentives: {summary.line()}" + (" dry_run=1" if dry_run else "")
        )
