"""The staff second factor: a TOTP device per staff account and one-time recovery codes.

django-otp keeps the devices; the admin site (``prakerja.urls``) asks for a token from one of
them at every staff login. TOTP is RFC 6238 with SHA-1, 30-second steps and 6 digits, so any
authenticator app reads the ``otpauth://`` URL the device's admin page shows as a QR code.
"""

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from participants.models import User

RECOVERY_CODES = 10


def base32_secret(device: TOTPDevice) -> str:
    """The device's secret as authenticator apps take it (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def ensure_totp_device(*, user: User, key_hex: str | None = None) -> str:
    """Give ``user`` a confirmed TOTP device (once) and return its base32 secret.

    ``key_hex`` fixes the secret (the demo staff device); otherwise django-otp draws 20 random
    bytes. An existing device is kept as it is."""
    defaults = {"confirmed": True}
    if key_hex:
        defaults["key"] = key_hex
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="authenticator", defaults=defaults
    )
    return base32_secret(device)


@transaction.atomic
def issue_recovery_codes(*, user: User, count: int = RECOVERY_CODES) -> list[str]:
    """Replace ``user``'s recovery codes with ``count`` new ones and return them (shown once).

    Each code logs in once, in place of a TOTP token (a lost phone)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def demo_totp_key_hex() -> str:
    """The demo staff device's secret, derived from ``SECRET_KEY`` so re-seeding prints the same
    secret. Demo only: anyone with ``SECRET_KEY`` can derive it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"demo-staff-totp", hashlib.sha256).digest()
    return digest[:20].hex()
