"""issue_partner_key PLATFORM_CODE: a new Partner API key pair, printed once."""

from django.core.management.base import BaseCommand, CommandError

from trainings import services
from trainings.models import Platform


class Command(BaseCommand):
    help = (
        "Issue a new Partner API key pair for the platform with code PLATFORM_CODE and print "
        "PARTNER_KEY=... and PARTNER_SECRET=... . The secret is shown only now (the database "
        "keeps it encrypted); earlier keys stay valid until revoked in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("platform_code", help="Platform.code, e.g. tokopedia")

    def handle(self, *args, platform_code: str, **options):
        platform = Platform.objects.filter(code=platform_code).first()
        if platform is None:
            known = ", ".join(Platform.objects.values_list("code", flat=True)) or "-"
            raise CommandError(f"unknown platform {platform_code!r} (known: {known})")
        if not platform.is_active:
            raise CommandError(f"platform {platform_code!r} is not active")
        key, secret = services.issue_partner_key(platform=platform)
        self.stdout.write(f"PARTNER_KEY={key}")
        self.stdout.write(f"PARTNER_SECRET={secret}")
        active = platform.credentials.filter(revoked_at__isnull=True).count()
        self.stdout.write(f"issue_partner_key: 1 key issued for {platform.code} ({active} active)")
