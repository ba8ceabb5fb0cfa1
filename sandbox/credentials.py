"""Where the sandbox platform gets the API key pair it signs with.

1. ``SANDBOX_PARTNER_KEY`` and ``SANDBOX_PARTNER_SECRET`` in the environment, when set: the
   same arrangement as any outside platform (an operator runs ``issue_partner_key sandbox`` and
   hands the pair over). This is what a shared staging deployment with ``SANDBOX=1`` uses.
2. Otherwise (``make run``, tests) the sandbox provisions its own pair on first use through the
   portal's one service for it, ``trainings.services.issue_partner_key``, and keeps it in its own
   table with the secret encrypted (``SandboxCredential``). A pair the portal has since revoked is
   dropped and provisioned again (:func:`forget`).

The sandbox never reads the portal's credential table: it holds only what it was given.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from prakerja import crypto
from sandbox.models import SandboxCredential
from trainings import services as training_services
from trainings.models import Platform

SANDBOX_PLATFORM_CODE = "sandbox"


class SandboxNotProvisioned(Exception):
    """There is no platform with code ``sandbox`` to issue a key for (run ``seed_demo``)."""


def from_settings() -> bool:
    return bool(settings.SANDBOX_PARTNER_KEY and settings.SANDBOX_PARTNER_SECRET)


def partner_credentials() -> tuple[str, str]:
    """The sandbox's ``(key, secret)``; provisions a pair on first use when settings give none."""
    if from_settings():
        return settings.SANDBOX_PARTNER_KEY, settings.SANDBOX_PARTNER_SECRET
    stored = SandboxCredential.objects.first()
    if stored is None:
        stored = _provision()
    return stored.key, crypto.decrypt(stored.secret_encrypted)


def forget(*, key: str) -> None:
    """Drop a stored pair the portal no longer accepts, so the next call provisions anew."""
    SandboxCredential.objects.filter(key=key).delete()


def _provision() -> SandboxCredential:
    with transaction.atomic():
        # The platform row lock serializes two first requests: one issues, the other reuses.
        platform = Platform.objects.select_for_update().filter(code=SANDBOX_PLATFORM_CODE).first()
        if platform is None:
            raise SandboxNotProvisioned
        stored = SandboxCredential.objects.first()
        if stored is not None:
            return stored
        key, secret = training_services.issue_partner_key(platform=platform)
        return SandboxCredential.objects.create(
            key=key, secret_encrypted=crypto.encrypt(secret), created_at=timezone.now()
        )
