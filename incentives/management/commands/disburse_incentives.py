"""disburse_incentives: the daily disbursement run, by hand (README, Operations)."""

from django.core.management.base import CommandError

from incentives import services
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    job = "incentives-disburse"
    help = (
        "Schedule newly eligible incentives, resolve unknown payout outcomes, group due "
        "installments into a batch and send every approved batch to the payout backend "
        "(the same service as the daily Celery beat task). Prints a one-line summary of this run's "
        "counts (a rerun finds nothing left to do). With --dry-run the payouts go to the fake "
        "gateway and everything is rolled back. --now: " + clock.NOW_HELP + "."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--batch-size", type=int, default=None)

    def run(self, *, now, batch_size=None, **options) -> str:
        try:
            summary = services.run_disbursement(now=now, batch_size=batch_size)
        except Exception as exc:
            raise CommandError(f"disburse_incentives failed: {exc}") from exc
        return f"disburse_incentives: {summary.line()}"
