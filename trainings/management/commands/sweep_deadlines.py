"""``manage.py sweep_deadlines [--now ISO-8601] [--dry-run]``: the nightly first-purchase sweep."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from participants import clock, jobs
from trainings import sweep
from trainings.models import SweepRun


class Command(BaseCommand):
    help = (
        "Revoke, blacklist and forfeit the balance of every participant whose first-purchase "
        "deadline passed before the cut-off (now, or --now) without a purchase: the same service "
        "as the beat task. Idempotent per cut-off: a rerun of a finished cut-off changes nothing "
        "and says already_ran=<first run>. Prints one summary line with this run's counts. "
        "--now: " + clock.NOW_HELP + "."
    )

    def add_arguments(self, parser):
        clock.add_now_argument(parser, help="the cut-off; " + clock.NOW_HELP)
        parser.add_argument(
            "--no-notify", action="store_true", help="do not queue revocation SMS/email"
        )
        clock.add_dry_run_argument(parser)

    def handle(self, *args, now=None, no_notify=False, dry_run=False, **options):
        cutoff = now or timezone.now()
        before = SweepRun.objects.filter(cutoff=cutoff).first()
        with jobs.dry_run(dry_run):
            run = sweep.sweep_deadlines(now=cutoff, notify=not no_notify)
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
        self.stdout.write(line + (" dry_run=1" if dry_run else ""))
