"""``manage.py clear_sessions``: delete expired sessions (the ``clear-sessions`` beat entry)."""

from django.core.management.base import BaseCommand

from prakerja import jobruns, sessions


class Command(BaseCommand):
    help = (
        "Delete the sessions that have expired from PostgreSQL (the same function as the beat "
        "task) and print how many. Takes no --now: a session expires by the current time."
    )

    def handle(self, *args, **options):
        with jobruns.record("clear-sessions") as run:
            deleted = sessions.clear_expired()
            run.counts = {"deleted": deleted}
        self.stdout.write(f"clear_sessions deleted={deleted}")
