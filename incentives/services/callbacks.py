"""Payout gateway callbacks."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from incentives import payouts
from incentives.models import (
    Installment,
    PayoutCallback,
    PayoutRequest,
)
from incentives.services.sending import apply_outcomes

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
    now: dt.datetime | None = None,
) -> str:
    """Apply an asynchronous result from the gateway. A replayed callback id is refused
    (``replayed``); a duplicated result for the same key changes nothing (``no_change``); a
    result contradicting a settled request is recorded (``conflict``) for reconciliation."""
    now = now or timezone.now()
    with transaction.atomic():
        _, created = PayoutCallback.objects.get_or_create(
            callback_id=callback_id,
            defaults={
                "idempotency_key": idempotency_key,
                "status": status,
                "reason_code": reason_code,
                "received_at": now,
            },
        )
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
        elif status in (payouts.PAID, payouts.FAILED, payouts.TEMPORARY_ERROR):
            result = apply_outcomes(
                [(req, req.installment, payouts.Outcome(status, reason_code))], now=now
            )
            outcome = (
                "applied" if (result.paid or result.failed or result.temporary) else "no_change"
            )
        else:
            outcome = "ignored"
        PayoutCallback.objects.filter(callback_id=callback_id).update(outcome=outcome)
    return outcome
