"""Reads for the catalog, payments and vouchers. Each selector owns its ``select_related`` and
scopes to what the caller may see (a platform sees only its own payments and vouchers)."""

import uuid

from django.db.models import QuerySet

from trainings.models import Offering, Payment, Platform, Voucher


def normalize_voucher_code(code: str) -> str:
    """Voucher codes are upper case without separators; accept what people type."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def platform_offerings(*, platform: Platform) -> QuerySet[Offering]:
    """The active offerings a platform sells, with training and provider, in a stable order."""
    return (
        Offering.objects.filter(platform=platform, is_active=True, training__is_active=True)
        .select_related("training__provider")
        .order_by("code")
    )


def platform_payment(*, platform: Platform, payment_id: str | uuid.UUID) -> Payment | None:
    """The platform's own payment, or ``None`` (unknown id, malformed id, another platform's)."""
    try:
        pk = payment_id if isinstance(payment_id, uuid.UUID) else uuid.UUID(str(payment_id))
    except ValueError:
        return None
    return (
        Payment.objects.select_related("participant", "offering__training__provider", "platform")
        .filter(pk=pk, platform=platform)
        .first()
    )


def platform_voucher(*, platform: Platform, code: str) -> Voucher | None:
    """The voucher with ``code`` sold through ``platform``, or ``None``."""
    return (
        Voucher.objects.select_related("training", "provider", "payment")
        .filter(code=normalize_voucher_code(code), payment__platform=platform)
        .first()
    )
