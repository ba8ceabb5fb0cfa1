"""``manage.py send_registration_mail``: send the registration emails waiting in Redis or in
PostgreSQL (the ``registration-mail`` beat entry)."""

from django.core.management.base import BaseCommand

from participants.registration import mail as registration_mail
from prakerja import jobruns


class Command(BaseCommand):
    help = (
        "Send every registration email still waiting (in Redis, or in PostgreSQL after a Redis "
        "outage), each once, and print how many. Takes no --now: it sends what waits now."
    )

    def handle(self, *args, **options):
        with jobruns.record("registration-mail") as run:
            sent = registration_mail.flush()
            run.counts = {"sent": sent}
        self.stdout.write(f"send_registration_mail sent={sent}")
