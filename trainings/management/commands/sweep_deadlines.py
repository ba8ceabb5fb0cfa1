"""``manage.py sweep_deadlines [--now ISO-8601]``: the nightly first-purchase sweep."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from trainings import sweep


def parse_now(value: str | None) -> dt.datetime | None:
    """ISO-8601 instant; a value without an offset is read as WIB (the program's time)."""
    if not value:
        return None
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now is not an ISO-8601 instant: {value!r}") from exc
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return instant


class Command(BaseCommand):
    help = (
        "Revoke, blacklist and forfeit the balance of every participant whose first-purchase "
        "deadline passed before the cut-off (now, or --now) without a purchase. Idempotent per "
        "cut-off; safe to re-run or run late. Prints one summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="cut-off instant, ISO-8601 (default: now)")
        parser.add_argument(
            "--no-notify", action="store_true", help="do not queue revocation SMS/email"
        )

    def handle(self, *args, now=None, no_notify=False, **options):
        cutoff = parse_now(now)
        run = sweep.sweep_deadlines(now=cutoff, notify=not no_notify)
        if run is None:
            raise CommandError("sweep_deadlines: another sweep is running (advisory lock held)")
        self.stdout.write(
            f"sweep_deadlines cutoff={timezone.localtime(run.cutoff).isoformat()} "
            f"revoked={run.revoked} "
            f"forfeited_idr={run.forfeited_idr} batches={run.batches}"
        )
