"""``manage.py sweep_deadlines [--now ISO-8601] [--dry-run]``: the nightly first-purchase sweep."""

from django.core.management.base import CommandError
from django.utils import timezone

from prakerja import clock
from prakerja.jobs import JobCommand
from trainings import sweep
from trainings.models import SweepRun


class Command(JobCommand):
    job = "sweep-deadlines"
    help = (
        "Revoke, blacklist and forfeit the balance of every participant whose first-purchase "
        "deadline passed before the cut-off (now, or --now) without a purchase: the same service "
        "as the beat task. Idempotent per cut-off: a rerun of a finished cut-off changes nothing "
        "and says already_ran=<first run>. Prints one summary line with this run's counts. "
        "--now (the cut-off): " + clock.NOW_HELP + "."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-notify", action="store_true", help="do not queue revocation SMS/email"
        )

    def run(self, *, now, no_notify=False, **options) -> str:
        before = SweepRun.objects.filter(cutoff=now).first()
        run = sweep.sweep_deadlines(now=now, notify=not no_notify)
        if run is None:
            raise CommandError("sweep_deadlines: another sweep is running (advisory lock held)")
        # The run row is cumulative per cut-off: report what this invocation added.
        revoked = run.revoked - (before.revoked if before else 0)
        forfeited = run.forfeited_idr - (before.forfeited_idr if before else 0)
        batches = run.batches - (before.batches if before else 0)
        line = (
            f"sweep_deadlines cutoff={timezone.localtime(run.cutoff).isoformat()} "
            f"revoked={revoked} forfeited_idr={forfeited} batches={batches}"
        )
        if before is not None and before.finished_at is not None:
            line += f" already_ran={timezone.localtime(before.started_at).isoformat()}"
        return line
