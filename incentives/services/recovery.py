"""Recovering from what a crash or a timeout left open: claims of a worker that died, and
payout requests without a definite answer. Neither ever sends blind: the same idempotency key
is asked about, or sent again, so the money cannot travel twice."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incentives import payouts
from incentives.models import Installment, PayoutRequest, Reason
from incentives.services.outcomes import DisbursementSummary, OutcomeTarget, apply_outcomes
from incentives.services.sending import payout_order

S = Installment.Status
R = PayoutRequest.Status


def recover_stale_claims(*, now: dt.datetime | None = None) -> int:
    """Claims not renewed for ``PAYOUT_CLAIM_LEASE_SECONDS`` belong to a worker that died or
    stalled. Their token is cleared (so the old worker, if it wakes up, can neither call the
    gateway nor record anything for them) and, since the request may have gone out, the
    outcome becomes unknown: :func:`resolve_unknown` asks the gateway about the same key,
    never sends blind. A claim without any stored request (older data) is scheduled again."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.PAYOUT_CLAIM_LEASE_SECONDS)
    open_request = PayoutRequest.objects.filter(
        installment=OuterRef("pk"), status__in=PayoutRequest.OPEN
    )
    with transaction.atomic():
        stale = list(
            Installment.objects.select_for_update(skip_locked=True)
            .filter(status=S.PROCESSING, claimed_at__lt=cutoff)
            .values_list("id", flat=True)
        )
        if not stale:
            return 0
        PayoutRequest.objects.filter(
            installment_id__in=stale, status__in=[R.CREATED, R.SENT]
        ).update(status=R.UNKNOWN)
        rows = Installment.objects.filter(id__in=stale, status=S.PROCESSING)
        unknown = rows.filter(Exists(open_request)).update(
            status=S.UNKNOWN, reason_code=Reason.TIMEOUT, claim_token=None
        )
        rescheduled = rows.filter(~Exists(open_request)).update(
            status=S.SCHEDULED, next_attempt_at=now, batch=None, claim_token=None
        )
    return unknown + rescheduled


def resolve_unknown(
    *,
    now: dt.datetime | None = None,
    participant_id: int | None = None,
    installment_ids: list[int] | None = None,
    chunk: int = 500,
) -> DisbursementSummary:
    """Settle installments whose last request had no definite answer: ask the backend about the
    same idempotency key. Paid/failed settle it; a key the backend says it never received is
    sent again with the same key (the gateway answers a repeated key with its first result, so
    this cannot pay twice); a timeout or a pending answer leaves it unknown for the next run."""
    now = now or timezone.now()
    summary = DisbursementSummary()
    backend = payouts.get_backend()
    requests = PayoutRequest.objects.filter(
        status=R.UNKNOWN, installment__status=S.UNKNOWN
    ).select_related("installment__participant__payout_account")
    if participant_id is not None:
        requests = requests.filter(installment__participant_id=participant_id)
    if installment_ids is not None:
        requests = requests.filter(installment_id__in=installment_ids)
    last_id = 0
    while True:
        page = list(requests.filter(id__gt=last_id).order_by("id")[:chunk])
        if not page:
            return summary
        last_id = page[-1].pk
        outcomes = []
        for req in page:
            answer = backend.status(req.idempotency_key)
            if answer.status == payouts.NOT_FOUND:
                account = getattr(req.installment.participant, "payout_account", None)
                PayoutRequest.objects.filter(pk=req.pk, sent_at__isnull=True).update(sent_at=now)
                answer = backend.send(
                    payout_order(
                        installment_id=req.installment_id,
                        idempotency_key=req.idempotency_key,
                        amount_idr=req.amount_idr,
                        account_kind=req.account_kind,
                        account_number=req.account_number,
                        holder_name=account.holder_name if account else "",
                    )
                )
            if answer.status == payouts.PENDING:
                continue
            outcomes.append((OutcomeTarget.of_request(req), answer))
            summary.resolved += 1
        summary.add(apply_outcomes(outcomes, now=now))
