"""seed_demo: idempotent demo data for `make run` (README, The two commands)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from complaints import demo as complaints_demo
from incentives import demo as incentives_demo
from participants import demo as participants_demo
from participants.eligibility import demo as eligibility_demo
from trainings import demo as trainings_demo


class Command(BaseCommand):
    help = (
        "Load idempotent demo data: platforms, providers, trainings and offerings; a closed and "
        "announced wave and an open wave; demo participants in every lifecycle state; a small "
        "list from every source of the state's lists, one naming a demo person refused at "
        "selection; a staff account; demo partner credentials. Prints DEMO and PARTNER lines. "
        "Refuses to run when DEBUG is off: the demo accounts have published passwords."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuses to run when DEBUG is off: it creates a superuser and accounts "
                "with published passwords. Use it only on a development database (DEBUG=1)."
            )
        now = timezone.now()
        with transaction.atomic():
            lines = participants_demo.seed(now=now)
            lines += eligibility_demo.seed(now=now, password=participants_demo.DEMO_PASSWORD)
            lines += trainings_demo.seed(now=now)
            lines += incentives_demo.seed(now=now)
            lines += complaints_demo.seed(now=now)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"seed_demo: {len(lines)} demo accounts and partners ready")
