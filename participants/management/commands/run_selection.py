"""run_selection WAVE_NUMBER [--seed S] [--now ISO-8601] (README, Operations)."""

from django.core.management.base import CommandError
from django.utils import timezone

from participants.models import DomainError, SelectionRun, Wave
from participants.waves.selection import run_selection
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    help = (
        "Run the selection of a closed wave: eligibility with reason codes, priority tier, a "
        "seeded draw within each province quota, then cards, balances and deadlines for those "
        "selected; the announcement SMS and emails are queued after commit. Refused before the "
        "wave closes and when the wave already has a run. Without --seed a random seed is "
        "generated; either way it is recorded so anyone can replay the draw. A rerun is refused "
        "(exit status 1) and says already_ran=<first run>. --now: " + clock.NOW_HELP + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("wave_number", type=int)
        parser.add_argument("--seed", default=None, help="draw seed (default: random)")
        super().add_arguments(parser)

    def run(self, *, now, wave_number: int, seed: str | None, **options) -> str:
        try:
            wave = Wave.objects.get(number=wave_number)
        except Wave.DoesNotExist as exc:
            raise CommandError(f"wave {wave_number} does not exist") from exc
        earlier = SelectionRun.objects.filter(wave=wave).first()
        if earlier is not None:
            raise CommandError(
                f"selection_already_run: wave={wave.number} "
                f"already_ran={timezone.localtime(earlier.started_at).isoformat()} "
                f"seed={earlier.seed}"
            )
        try:
            run = run_selection(wave=wave, seed=seed, now=now)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        reasons = " ".join(f"{code}={n}" for code, n in run.counts_by_reason.items())
        return (
            f"run_selection: wave={wave.number} applicants={run.applicants} "
            f"eligible={run.eligible} selected={run.selected} not_selected={run.not_selected} "
            f"seed={run.seed}" + (f" {reasons}" if reasons else "")
        )
