"""reconcile_payouts: compare one WIB day's payouts in the portal with the backend's report."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from incentives import services
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    job = "incentives-reconcile"
    now_help = "yesterday (WIB) as of this instant; " + clock.NOW_HELP
    help = (
        "Build the reconciliation report for one WIB day (default: yesterday): what the portal "
        "believes was paid against what the payout backend reports, key by key (the same service "
        "as the beat task). Rerunning a day replaces its report. Prints one summary line."
    )

    def add_arguments(self, parser):
        clock.add_day_argument(parser, help="the WIB day to reconcile, YYYY-MM-DD")
        super().add_arguments(parser)

    def run(self, *, now, day=None, **options) -> str:
        day = day or timezone.localdate(now) - dt.timedelta(days=1)
        try:
            report = services.reconcile(day=day)
        except Exception as exc:
            raise CommandError(f"reconcile_payouts failed: {exc}") from exc
        return (
            f"reconcile_payouts: day={report.day} portal_paid={report.portal_paid_count} "
            f"backend_paid={report.backend_paid_count} mismatches={report.mismatch_count}"
        )
