"""``manage.py retry_registry_checks [--now ISO-8601] [--dry-run]``: ask the civil registry
again about identities it could not check."""

from participants.services import registry_checks
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    job = "retry-registry-checks"
    help = (
        "Ask the civil registry (Dukcapil) again about every identity whose check is pending and "
        "whose pause has passed at now (or --now); each answer is audited and sets the check to "
        "match, mismatch, or the next pause (backoff). The same service as the beat task. "
        "Idempotent: a rerun finds nothing due. Prints one summary line. --now: "
        + clock.NOW_HELP
        + "."
    )

    def run(self, *, now, **options) -> str:
        return registry_checks.retry_due_checks(now=now).line()
