"""``manage.py run_due_selections [--now ISO-8601] [--dry-run]``: the beat job for selections."""

from django.core.management.base import CommandError

from participants.models import DomainError, Wave
from participants.waves import selection
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    job = "run-due-selections"
    help = (
        "Mark the applications of closed waves 'processing' and run the selection (fresh seed) "
        "of every wave whose announcement time is at or before now (or --now) and that has no "
        "run yet: the same service as the beat task. A rerun finds nothing to do and says "
        "already_ran=wave:<latest wave already run>. Prints one summary line. --now: "
        + clock.NOW_HELP
        + "."
    )

    def run(self, *, now, **options) -> str:
        # The latest announced wave whose selection already ran: what a rerun would repeat.
        done = (
            Wave.objects.filter(announces_at__lte=now, selection_run__isnull=False)
            .order_by("-announces_at")
            .values_list("number", flat=True)
            .first()
        )
        try:
            runs = selection.run_due_selections(now=now)
        except DomainError as exc:
            raise CommandError(f"run_due_selections: {exc.code}: {exc.message}") from exc
        waves = ",".join(str(run.wave.number) for run in runs) or "-"
        selected = sum(run.selected for run in runs)
        line = f"run_due_selections ran={len(runs)} waves={waves} selected={selected}"
        if not runs and done is not None:
            line += f" already_ran=wave:{done}"
        return line
