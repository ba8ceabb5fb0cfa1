"""``manage.py send_reminders [--now ISO-8601] [--dry-run]``: first-purchase deadline reminders."""

import datetime as dt

from django.db.models import Min
from django.utils import timezone

from participants.cards import deadlines
from prakerja import clock
from prakerja.jobs import JobCommand
from trainings import reminders
from trainings.models import DeadlineReminder


class Command(JobCommand):
    job = "deadline-reminders"
    help = (
        "Send today's (WIB, as of now or --now) reminders to buy the first training, 7, 3 and 1 "
        "days before the deadline (DEADLINE_REMINDER_DAYS): the same service as the beat task. "
        "At most one reminder per participant and mark, however often it runs: a rerun sends "
        "nothing and says already_ran=<first run>. Prints one summary line. --now: "
        + clock.NOW_HELP
        + "."
    )

    def run(self, *, now, **options) -> str:
        result = reminders.send_deadline_reminders(now=now)
        line = f"send_reminders queued={result.queued} sent={result.sent}"
        if not result.queued:
            start = deadlines.end_of_wib_day(deadlines.wib_date(now) - dt.timedelta(days=1))
            earlier = DeadlineReminder.objects.filter(
                created_at__gt=start, created_at__lte=now
            ).aggregate(at=Min("created_at"))["at"]
            if earlier is not None:
                line += f" already_ran={timezone.localtime(earlier).isoformat()}"
        return line
