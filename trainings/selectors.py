"""Reads for the training pages; each selector owns its select_related/prefetch_related.

Selectors that take a participant return only that participant's rows, so a view that fetches
through them answers 404 for someone else's voucher.
"""

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from participants.models import LedgerEntry, Participant
from trainings.models import Offering, Payment, Training, Voucher


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
