"""``manage.py expire_balances [--now ISO-8601]``: the 15 December balance expiry."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from participants import expiry


class Command(BaseCommand):
    help = (
        "Expire every unspent training balance whose expiry (15 December 23:59:59 WIB of the "
        "budget year) is at or before now (or --now): one expiry ledger entry each, balance 0. "
        "Idempotent. Prints one summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="instant to run as, ISO-8601 (default: now)")

    def handle(self, *args, now=None, **options):
        instant = None
        if now:
            try:
                instant = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now is not an ISO-8601 instant: {now!r}") from exc
            if timezone.is_naive(instant):
                instant = timezone.make_aware(instant)
        result = expiry.expire_balances(now=instant)
        self.stdout.write(
            f"expire_balances expired={result.expired} amount_idr={result.amount_idr} "
            f"batches={result.batches}"
        )
