"""Payout gateway callbacks."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from incentives import payouts
from incentives.models import (
    Installment,
    PayoutCallback,
    PayoutRequest,
)
from incentives.services.outcomes import OutcomeTarget, apply_outcomes

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- callbacks ------------------------------------------------------------------------------------


def handle_callback(
    *,
    callback_id: str,
    idempotency_key: str,
    status: str,
    reason_code: str = "",
    signature: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Take an asynchronous result from the gateway as a hint, never as the truth: the gateway
    is asked about the key (:meth:`status`) and only its answer is applied, so even a callback
    signed with a leaked secret cannot fail a paid key into a second payment.

    Returns ``replayed`` (this callback id or exact signed request was seen before),
    ``unknown_key``, ``no_change`` (a settled request and the same result), ``conflict`` (the
    callback contradicts the settled request or the gateway's own answer; kept for
    reconciliation), ``applied`` or ``pending`` (the gateway has no final answer yet)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            _, created = PayoutCallback.objects.get_or_create(
                callback_id=callback_id,
                defaults={
                    "idempotency_key": idempotency_key,
                    "status": status,
                    "reason_code": reason_code,
                    "received_at": now,
                    "signature": signature,
                },
            )
    except IntegrityError:  # the same signature under another callback id
        return "replayed"
    if not created:
        return "replayed"
    req = (
        PayoutRequest.objects.select_related("installment")
        .filter(idempotency_key=idempotency_key)
        .first()
    )
    if req is None:
        outcome = "unknown_key"
    elif req.status not in PayoutRequest.OPEN:
        outcome = "no_change" if req.status == status else "conflict"
    else:
        answer = payouts.get_backend().status(idempotency_key)
        if answer.status in (payouts.PAID, payouts.FAILED):
            apply_outcomes([(OutcomeTarget.of_request(req), answer)], now=now)
            same = answer.status == status and (
                status == payouts.PAID or answer.reason_code == reason_code
            )
            outcome = "applied" if same else "conflict"
        else:
            outcome = "pending"
    PayoutCallback.objects.filter(callback_id=callback_id).update(outcome=outcome)
    return outcome
