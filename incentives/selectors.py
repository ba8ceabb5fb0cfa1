"""Reads for incentives; each owns its select_related/prefetch_related."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from incentives.models import (
    Installment,
    PayoutAccount,
    PayoutAccountChange,
    PayoutCallback,
    Survey,
)
from participants.models import Participant


def installments_for(*, participant: Participant) -> QuerySet[Installment]:
    """Every installment of the participant, in the order they fall due."""
    return Installment.objects.filter(participant=participant).order_by("due_at", "kind", "number")


def payout_account_for(*, participant: Participant) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(participant=participant).first()


def pending_change(*, participant: Participant, change_id) -> PayoutAccountChange:
    """The participant's own unconfirmed account change, or 404."""
    return get_object_or_404(
        PayoutAccountChange, pk=change_id, participant=participant, confirmed_at__isnull=True
    )


def survey_with_questions(*, number: int) -> Survey:
    return get_object_or_404(Survey.objects.prefetch_related("questions"), number=number)


def callback_replay(*, callback_id: str, signature: str) -> str:
    """Why a gateway callback is a replay: ``callback_id`` (that id was received before),
    ``signature`` (the exact signed request was, under another id) or ``""`` (new)."""
    seen = PayoutCallback.objects.filter(Q(callback_id=callback_id) | Q(signature=signature))
    ids = set(seen.values_list("callback_id", flat=True)[:2])
    if callback_id in ids:
        return "callback_id"
    return "signature" if ids and signature else ""
