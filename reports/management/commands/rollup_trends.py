"""``manage.py rollup_trends [--since DATE] [--now ISO-8601] [--dry-run]``: the trends rollup."""

from prakerja import clock
from prakerja.jobs import JobCommand
from reports import rollup


class Command(JobCommand):
    job = "trends-rollup"
    help = (
        "Recompute the daily counts (WIB days) behind the program dashboard's trends: "
        "registrations, joins, selections, first purchases, revocations, payouts paid and "
        "failed, complaints, per wave. From --since (YYYY-MM-DD), by default from two days "
        "before the last day already counted (everything when nothing is), to the day of now "
        "(or --now): the same service as the hourly beat task. A rerun writes the same rows. "
        "Prints one summary line. --now: " + clock.NOW_HELP + "."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--since",
            type=clock.day_argument,
            default=None,
            help="recompute from this WIB day, YYYY-MM-DD",
        )

    def run(self, *, now, since=None, **options) -> str:
        result = rollup.rollup_daily_counts(now=now, since=since)
        return (
            f"rollup_trends since={result.since or '-'} until={result.until} "
            f"days={result.days} rows={result.rows} events={result.events}"
        )
