"""reconcile_payouts: compare one WIB day's payouts in the portal with the backend's report."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incentives import services


class Command(BaseCommand):
    help = (
        "Build the reconciliation report for one WIB day (default: yesterday): what the portal "
        "believes was paid against what the payout backend reports, key by key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, day=None, **options):
        day = day or timezone.localdate() - dt.timedelta(days=1)
        try:
            report = services.reconcile(day=day)
        except Exception as exc:
            raise CommandError(f"reconcile_payouts failed: {exc}") from exc
        self.stdout.write(
            f"reconcile_payouts: day={report.day} portal_paid={report.portal_paid_count} "
            f"backend_paid={report.backend_paid_count} mismatches={report.mismatch_count}"
        )
