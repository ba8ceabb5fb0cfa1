"""``manage.py recheck_eligibility [--now ISO-8601] [--dry-run]``: the lists applied after
selection."""

from participants.eligibility import recheck
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    job = "recheck-eligibility"
    help = (
        "Put every selected, active, frozen, expired or finished participant whose NIK is on an "
        "exclusion list in force at now (or --now), and not lifted by an exception, into the "
        "staff review queue (Admin > Tinjauan kelayakan). Revokes nobody: staff decide with "
        "four eyes. The same service as the beat task (which also runs after every list "
        "import). A rerun flags nobody new and says already_ran=<latest flag of these list "
        "versions>. Prints one summary line. --now: " + clock.NOW_HELP + "."
    )

    def run(self, *, now, **options) -> str:
        return recheck.recheck(now=now).line()
