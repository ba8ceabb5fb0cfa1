"""Reads for the catalog, payments, vouchers and the participant training pages.

Each selector owns its ``select_related``/``prefetch_related`` and scopes to what the caller may
see: a platform sees only its own payments and vouchers, a participant only their own vouchers
(a view that fetches through these answers 404 for anyone else's).
"""

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from participants.models import LedgerEntry, Participant
from trainings.models import Offering, Payment, Platform, Training, Voucher


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


# --- participant pages ---------------------------------------------------------------------------


def _active_offerings() -> QuerySet[Offering]:
    return Offering.objects.filter(is_active=True, platform__is_active=True)


def search_trainings(*, query: str = "", category: str = "") -> QuerySet[Training]:
    """Active trainings that at least one active platform sells, matching ``query`` (in the
    title or the provider's name, case-insensitive) and ``category`` (exact).

    Each training carries ``sold_on``: its active offerings with their platform, cheapest first
    (one extra query for the whole page, however many trainings it shows).
    """
    sold = _active_offerings().filter(training=OuterRef("pk"))
    trainings = Training.objects.filter(Exists(sold), is_active=True)
    query = query.strip()
    if query:
        trainings = trainings.filter(Q(title__icontains=query) | Q(provider__name__icontains=query))
    if category:
        trainings = trainings.filter(category=category)
    return (
        trainings.select_related("provider")
        .prefetch_related(
            Prefetch(
                "offerings",
                queryset=_active_offerings()
                .select_related("platform")
                .order_by("price_idr", "platform__name"),
                to_attr="sold_on",
            )
        )
        .order_by("title", "pk")
    )


def training_categories() -> list[str]:
    """The categories of active trainings, alphabetically, for the search form."""
    return list(
        Training.objects.filter(is_active=True)
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def vouchers_for_participant(*, participant: Participant) -> QuerySet[Voucher]:
    """The participant's purchases, newest first, with training, provider and platform."""
    return (
        Voucher.objects.filter(participant=participant)
        .select_related("training", "provider", "payment__platform")
        .order_by("-issued_at", "-pk")
    )


def voucher_for_participant(*, participant: Participant, voucher_id: int) -> Voucher:
    """One of the participant's vouchers; raises ``Http404`` for anyone else's."""
    return get_object_or_404(vouchers_for_participant(participant=participant), pk=voucher_id)


@dataclass(frozen=True)
class LedgerRow:
    entry: LedgerEntry
    # The training a purchase or reversal was for ("" for grant, forfeit and expiry).
    training_title: str

    @property
    def magnitude_idr(self) -> int:
        return abs(self.entry.amount_idr)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def balance_history(*, participant: Participant) -> list[LedgerRow]:
    """The participant's balance movements, newest first, each purchase or reversal with the
    title of the training it paid for (two queries in all)."""
    entries = list(
        LedgerEntry.objects.filter(participant=participant).order_by("-created_at", "-pk")
    )
    payment_ids = {
        payment_id
        for entry in entries
        if entry.kind in (LedgerEntry.Kind.PURCHASE, LedgerEntry.Kind.REVERSAL)
        and (payment_id := _as_uuid(entry.reference))
    }
    titles: dict[str, str] = {}
    if payment_ids:
        titles = {
            str(payment_id): title
            for payment_id, title in Payment.objects.filter(
                pk__in=payment_ids, participant=participant
            ).values_list("pk", "offering__training__title")
        }
    return [
        LedgerRow(entry=entry, training_title=titles.get(str(_as_uuid(entry.reference) or ""), ""))
        for entry in entries
    ]
