"""run_selection WAVE_NUMBER [--seed S] [--now ISO-8601] (README, Operations)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from participants.models import DomainError, Wave
from participants.selection import run_selection


class Command(BaseCommand):
    help = (
        "Run the selection of a closed wave: eligibility with reason codes, priority tier, a "
        "seeded draw within each province quota, then cards, balances and deadlines for those "
        "selected; the announcement SMS and emails are queued after commit. Refused before the "
        "wave closes and when the wave already has a run. Without --seed a random seed is "
        "generated; either way it is recorded so anyone can replay the draw."
    )

    def add_arguments(self, parser):
        parser.add_argument("wave_number", type=int)
        parser.add_argument("--seed", default=None, help="draw seed (default: random)")
        parser.add_argument("--now", default=None, help="run as of this ISO-8601 instant")

    def handle(self, *args, wave_number: int, seed: str | None, now: str | None, **options):
        when = None
        if now:
            when = parse_datetime(now)
            if when is None or when.tzinfo is None:
                raise CommandError("--now needs an ISO-8601 instant with a UTC offset")
        try:
            wave = Wave.objects.get(number=wave_number)
        except Wave.DoesNotExist as exc:
            raise CommandError(f"wave {wave_number} does not exist") from exc
        try:
            run = run_selection(wave=wave, seed=seed, now=when)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        reasons = " ".join(f"{code}={n}" for code, n in run.counts_by_reason.items())
        self.stdout.write(
            f"run_selection: wave={wave.number} applicants={run.applicants} "
            f"eligible={run.eligible} selected={run.selected} not_selected={run.not_selected} "
            f"seed={run.seed}" + (f" {reasons}" if reasons else "")
        )
