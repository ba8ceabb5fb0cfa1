"""Reads for incentives; each owns its select_related/prefetch_related."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from incentives.models import (
    Installment,
    PayoutAccount,
    PayoutAccountChange,
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
