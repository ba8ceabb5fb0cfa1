"""``manage.py expire_balances [--now ISO-8601] [--dry-run]``: the 15 December balance expiry."""

from django.db.models import Max
from django.utils import timezone

from participants.cards import expiry
from participants.models import LedgerEntry
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    job = "expire-balances"
    help = (
        "Expire every unspent training balance whose expiry (15 December 23:59:59 WIB of the "
        "budget year) is at or before now (or --now): one expiry ledger entry each, balance 0. "
        "The same service as the beat task. Idempotent: a rerun expires nothing and says "
        "already_ran=<first run>. Prints one summary line. --now: " + clock.NOW_HELP + "."
    )

    def run(self, *, now, **options) -> str:
        result = expiry.expire_balances(now=now)
        line = (
            f"expire_balances expired={result.expired} amount_idr={result.amount_idr} "
            f"batches={result.batches}"
        )
        if not result.expired:
            earlier = LedgerEntry.objects.filter(
                kind=LedgerEntry.Kind.EXPIRY, participant__balance_expires_at__lte=now
            ).aggregate(at=Max("created_at"))["at"]
            if earlier is not None:
                line += f" already_ran={timezone.localtime(earlier).isoformat()}"
        return line
