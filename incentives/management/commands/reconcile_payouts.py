"""reconcile_payouts: compare one WIB day's payouts in the portal with the backend's report."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incentives import services
from participants import clock, jobs


class Command(BaseCommand):
    help = (
        "Build the reconciliation report for one WIB day (default: yesterday): what the portal "
        "believes was paid against what the payout backend reports, key by key (the same service "
        "as the beat task). Rerunning a day replaces its report. Prints one summary line."
    )

    def add_arguments(self, parser):
        clock.add_day_argument(parser, help="the WIB day to reconcile, YYYY-MM-DD")
        clock.add_now_argument(parser, help="yesterday (WIB) as of this instant; " + clock.NOW_HELP)
        clock.add_dry_run_argument(parser)

    def handle(self, *args, day=None, now=None, dry_run=False, **options):
        day = day or timezone.localdate(now or timezone.now()) - dt.timedelta(days=1)
        try:
            with jobs.job_block("incentives-reconcile", dry_run=dry_run) as run:
                report = services.reconcile(day=day)
                run.counts = {
                    "portal_paid": report.portal_paid_count,
                    "backend_paid": report.backend_paid_count,
                    "mismatches": report.mismatch_count,
                }
        except Exception as exc:
            raise CommandError(f"reconcile_payouts failed: {exc}") from exc
        self.stdout.write(
            f"reconcile_payouts: day={report.day} portal_paid={report.portal_paid_count} "
            f"backend_paid={report.backend_paid_count} mismatches={report.mismatch_count}"
            + (" dry_run=1" if dry_run else "")
        )
