"""load_areas: the Kemendagri province/regency/district reference data (idempotent)."""

from django.core.management.base import BaseCommand

from participants.registration.areas import load_areas


class Command(BaseCommand):
    help = (
        "Load the Kemendagri provinces, regencies/cities and districts shipped in "
        "participants/data/ (from idn-area-data). Safe to re-run: existing rows are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", action="append", dest="provinces", help="only this province code"
        )

    def handle(self, *args, **options):
        counts = load_areas(provinces=options["provinces"])
        self.stdout.write(
            "load_areas: {provinces} provinces, {regencies} regencies, "
            "{districts} districts".format(**counts)
        )
