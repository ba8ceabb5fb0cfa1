"""``manage.py heartbeat``: record that the scheduled jobs' machinery is alive (beat entry)."""

from django.core.management.base import BaseCommand

from prakerja.tasks import heartbeat


class Command(BaseCommand):
    help = (
        "Record the current time as the last heartbeat in the cache (the same function as the "
        "beat task, run here without a worker) and print it. Takes no --now: a heartbeat is "
        "always the current time."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"heartbeat at={heartbeat()}")
