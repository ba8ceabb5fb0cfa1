"""Sending a batch: claims, payout requests stored before the call, account validation and the
gateway call. What the gateway answers is applied by ``incentives.services.outcomes``."""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incentives import payouts
from incentives.models import (
    DisbursementBatch,
    DisbursementBatchEvent,
    Installment,
    PayoutAccount,
    PayoutRequest,
    Reason,
)
from incentives.services.outcomes import DisbursementSummary, OutcomeTarget, apply_outcomes
from participants import selectors

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


def send_batch(
    *, batch: DisbursementBatch, now: dt.datetime | None = None, batch_size: int | None = None
) -> DisbursementSummary:
    """Send an approved batch: claim chunks of its scheduled installments with
    ``FOR UPDATE SKIP LOCKED`` (so several workers share the work), store their payout requests,
    call the backend, apply the outcomes. Marks the batch done when nothing is left to claim."""
    now = now or timezone.now()
    size = batch_size or settings.PAYOUT_BATCH_SIZE
    summary = DisbursementSummary()
    Event = DisbursementBatchEvent
    with transaction.atomic():
        if DisbursementBatch.objects.filter(
            pk=batch.pk, status=DisbursementBatch.Status.APPROVED
        ).update(status=DisbursementBatch.Status.SENDING, started_at=now):
            Event.objects.create(
                batch_id=batch.pk, action=Event.Action.SEND_STARTED, created_at=now
            )
    while True:
        claimed = _claim(batch_id=batch.pk, now=now, size=size)
        if not claimed:
            break
        summary.add(_send_claimed(claimed, batch_id=batch.pk, now=now))
        DisbursementBatch.objects.filter(pk=batch.pk).update(result=summary.line()[:300])
    with transaction.atomic():
        if (
            DisbursementBatch.objects.filter(pk=batch.pk, status=DisbursementBatch.Status.SENDING)
            .exclude(Exists(Installment.objects.filter(batch=OuterRef("pk"), status=S.SCHEDULED)))
            .update(status=DisbursementBatch.Status.DONE, finished_at=now)
        ):
            Event.objects.create(
                batch_id=batch.pk, action=Event.Action.SENT, created_at=now, note=summary.line()
            )
    return summary


def send_approved_batch(*, batch_id: int, now: dt.datetime | None = None) -> DisbursementSummary:
    """Send one batch now if it is approved (or being sent); any other batch: nothing. The task
    enqueued by the approval calls this; the nightly run sends the same batches, and claims
    keep the two apart."""
    batch = DisbursementBatch.objects.filter(
        pk=batch_id,
        status__in=[DisbursementBatch.Status.APPROVED, DisbursementBatch.Status.SENDING],
    ).first()
    if batch is None:
        return DisbursementSummary()
    return send_batch(batch=batch, now=now)


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed installment with what sending it needs, read as plain values (a batch holds
    thousands; model instances would cost more than the SQL). ``token`` fences the claim;
    ``request_id`` and ``idempotency_key`` are its payout request, stored with the claim."""

    pk: int
    participant_id: int
    kind: str
    number: int
    amount_idr: int
    attempts: int
    temporary_failures: int
    status: str
    account_id: int | None
    account_kind: str | None
    account_number: str | None
    holder_name: str | None
    account_validated_at: dt.datetime | None
    account_updated_at: dt.datetime | None
    full_name: str
    token: uuid.UUID | None = None
    request_id: int | None = None
    idempotency_key: str = ""
    request_account_kind: str = ""
    request_account_number: str = ""
    sent_before: bool = False

    def order(self) -> payouts.PayoutOrder:
        """The gateway order for this claim's stored payout request."""
        return payout_order(
            installment_id=self.pk,
            idempotency_key=self.idempotency_key,
            amount_idr=self.amount_idr,
            account_kind=self.request_account_kind,
            account_number=self.request_account_number,
            holder_name=self.holder_name or "",
        )

    def target(self) -> OutcomeTarget:
        return OutcomeTarget(self.request_id, self.pk, self.participant_id, self.temporary_failures)


def payout_order(
    *,
    installment_id: int,
    idempotency_key: str,
    amount_idr: int,
    account_kind: str,
    account_number: str,
    holder_name: str,
) -> payouts.PayoutOrder:
    """The order sent for an installment's stored payout request: the stored key, amount and
    account as they are (a repeated key must carry the same money to the same account), with
    the installment as the gateway's reference. Every send, first or again, builds it here."""
    return payouts.PayoutOrder(
        idempotency_key=idempotency_key,
        reference=f"installment-{installment_id}",
        amount_idr=amount_idr,
        account_kind=account_kind,
        account_number=account_number,
        holder_name=holder_name,
    )


CLAIM_FIELDS = (
    "id",
    "participant_id",
    "kind",
    "number",
    "amount_idr",
    "attempts",
    "temporary_failures",
    "status",
    "participant__payout_account__id",
    "participant__payout_account__kind",
    "participant__payout_account__number",
    "participant__payout_account__holder_name",
    "participant__payout_account__validated_at",
    "participant__payout_account__updated_at",
    "participant__user__full_name",
)

# A request that did not end in a definite answer keeps its key: sending it again is safe
# because the gateway answers a repeated key with its first result.
REUSABLE = (R.CREATED, R.SENT, R.UNKNOWN, R.TEMPORARY_ERROR)


def idempotency_key(*, installment_id: int, attempt: int) -> str:
    """The key of an installment's ``attempt``-th payout request. A new attempt (a new key) is
    made only after the gateway definitely did not pay the previous one (it answered
    ``failed``, or the request never left the portal), so the same money always travels under
    the same key however many times it is sent."""
    return f"PKJ-{installment_id}-{attempt}"


def _claim(*, batch_id: int, now: dt.datetime, size: int) -> list[Claim]:
    """Take up to ``size`` scheduled installments of the batch for this worker and store their
    payout requests, in one transaction, before anything slow happens. The rows are locked with
    SKIP LOCKED so concurrent workers take disjoint sets. The claim token is this worker's fence:
    every later call and write checks it (:func:`_still_mine`)."""
    token = uuid.uuid4()
    with transaction.atomic():
        # Someone put under eligibility review after the batch was made: their installments
        # leave the batch and wait, unpaid, until the review ends (participants.selectors).
        Installment.objects.filter(
            batch_id=batch_id, status=S.SCHEDULED, participant_id__in=selectors.payouts_on_hold()
        ).update(batch=None)
        ids = list(
            Installment.objects.select_for_update(skip_locked=True)
            .filter(batch_id=batch_id, status=S.SCHEDULED)
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return []
        # A new attempt: whatever it ends in is news again (``notified_status`` is the outcome
        # last announced; a repeat failure after an account change or a retry must be told).
        Installment.objects.filter(id__in=ids, status=S.SCHEDULED).update(
            status=S.PROCESSING, claimed_at=timezone.now(), claim_token=token, notified_status=""
        )
        rows = [
            Claim(*row, token=token)
            for row in Installment.objects.filter(
                id__in=ids, claim_token=token, status=S.PROCESSING
            )
            .order_by("id")
            .values_list(*CLAIM_FIELDS)
        ]
        return _store_requests(rows, batch_id=batch_id, now=now)


def _store_requests(claims: list[Claim], *, batch_id: int | None, now: dt.datetime) -> list[Claim]:
    """Give every claim its payout request: the open one it already has (same money, same
    key), or a new attempt. An installment that already has a paid request is settled as paid
    instead of being sent (left by an older double payout)."""
    ids = [c.pk for c in claims]
    latest: dict[int, tuple] = {}
    max_attempt: dict[int, int] = {}
    paid: set[int] = set()
    for row in (
        PayoutRequest.objects.filter(installment_id__in=ids)
        .order_by("installment_id", "attempt")
        .values_list("installment_id", "id", "attempt", "status", "idempotency_key", "sent_at")
    ):
        latest[row[0]] = row
        max_attempt[row[0]] = row[2]
        if row[3] == R.PAID:
            paid.add(row[0])
    if paid:
        Installment.objects.filter(id__in=paid, status=S.PROCESSING).update(
            status=S.PAID, paid_at=now, reason_code="", claim_token=None
        )
        logger.error("installments with a paid request were scheduled again: %s", sorted(paid))
    new_requests = []
    for claim in claims:
        if claim.pk in paid:
            continue
        row = latest.get(claim.pk)
        if row is None or row[3] not in REUSABLE:
            attempt = max(max_attempt.get(claim.pk, 0), claim.attempts) + 1
            new_requests.append(
                PayoutRequest(
                    installment_id=claim.pk,
                    batch_id=batch_id,
                    attempt=attempt,
                    idempotency_key=idempotency_key(installment_id=claim.pk, attempt=attempt),
                    amount_idr=claim.amount_idr,
                    account_kind=claim.account_kind or "",
                    account_number=claim.account_number or "",
                    created_at=now,
                )
            )
    # ignore_conflicts: a row another worker left in the way must not stop the others; what was
    # really stored is read back below.
    PayoutRequest.objects.bulk_create(new_requests, ignore_conflicts=True)
    reused = [row[1] for pk, row in latest.items() if pk not in paid and row[3] in REUSABLE]
    PayoutRequest.objects.filter(id__in=reused).update(status=R.CREATED)
    attempts = dict.fromkeys([r.installment_id for r in new_requests], 0)
    for r in new_requests:
        attempts[r.installment_id] = r.attempt
    for attempt in set(attempts.values()):
        Installment.objects.filter(
            id__in=[pk for pk, a in attempts.items() if a == attempt]
        ).update(attempts=attempt)
    stored = {}
    for row in (
        PayoutRequest.objects.filter(installment_id__in=ids, status=R.CREATED)
        .order_by("installment_id", "attempt")
        .values_list(
            "installment_id", "id", "idempotency_key", "account_kind", "account_number", "sent_at"
        )
    ):
        stored[row[0]] = row
    result = []
    for claim in claims:
        row = stored.get(claim.pk)
        if claim.pk in paid or row is None:
            if row is None and claim.pk not in paid:
                # Could not store a request: give the installment back untouched.
                Installment.objects.filter(pk=claim.pk, claim_token=claim.token).update(
                    status=S.SCHEDULED, claim_token=None
                )
            continue
        result.append(
            replace(
                claim,
                request_id=row[1],
                idempotency_key=row[2],
                request_account_kind=row[3],
                request_account_number=row[4],
                sent_before=row[5] is not None,
            )
        )
    return result


def _still_mine(claims: list[Claim], *, mark_sent: bool = False) -> list[Claim]:
    """The claims this worker still owns, with their lease renewed. Another run may have
    declared them stale meanwhile (:func:`recover_stale_claims` clears the token); those are
    dropped here, so a worker that lost its claim never calls the gateway for it. The race
    between this check and the call is harmless: whoever sends uses the same key."""
    if not claims:
        return []
    token = claims[0].token
    with transaction.atomic():
        owned = set(
            Installment.objects.select_for_update()
            .filter(id__in=[c.pk for c in claims], claim_token=token, status=S.PROCESSING)
            .values_list("id", flat=True)
        )
        if owned:
            Installment.objects.filter(id__in=owned).update(claimed_at=timezone.now())
            if mark_sent:
                PayoutRequest.objects.filter(
                    id__in=[c.request_id for c in claims if c.pk in owned], sent_at__isnull=True
                ).update(sent_at=timezone.now())
    return [c for c in claims if c.pk in owned]


def _validate_accounts(claims: list[Claim], *, now: dt.datetime) -> dict[int, str]:
    """Validate (once) the accounts of these installments' participants with the backend.
    Returns {installment id: reason} for those that cannot be paid. A request that already
    went out is not held back by validation: its key is sent again as it was."""
    backend = payouts.get_backend()
    blocked: dict[int, str] = {}
    checked: dict[int, str] = {}
    for claim in claims:
        if claim.sent_before:
            continue
        account_id = claim.account_id
        if account_id is None:
            blocked[claim.pk] = Reason.NO_ACCOUNT
            continue
        if claim.account_validated_at is not None:
            continue
        if account_id not in checked:
            outcome = backend.validate_account(
                payouts.AccountCheck(
                    kind=claim.account_kind,
                    number=claim.account_number,
                    holder_name=claim.holder_name,
                    expected_name=claim.full_name,
                )
            )
            # Conditional on updated_at: a change made meanwhile is validated on its own.
            account = PayoutAccount.objects.filter(
                pk=account_id, updated_at=claim.account_updated_at
            )
            if outcome.status == payouts.VALID:
                account.update(validated_at=now, validation_reason="", validation_checked_at=now)
                checked[account_id] = ""
            elif outcome.status == payouts.FAILED:
                account.update(validation_reason=outcome.reason_code, validation_checked_at=now)
                checked[account_id] = outcome.reason_code
            else:
                checked[account_id] = Reason.TEMPORARY_ERROR
        if checked[account_id]:
            blocked[claim.pk] = checked[account_id]
    return blocked


def _send_claimed(
    claimed: list[Claim], *, batch_id: int | None, now: dt.datetime
) -> DisbursementSummary:
    summary = DisbursementSummary(claimed=len(claimed))
    claimed = _still_mine(claimed)
    blocked = _validate_accounts(claimed, now=now)
    outcomes: list[tuple[Claim, payouts.Outcome]] = []
    to_send = []
    for claim in claimed:
        reason = blocked.get(claim.pk)
        if reason == Reason.TEMPORARY_ERROR:
            outcomes.append((claim, payouts.Outcome(payouts.TEMPORARY_ERROR, reason)))
        elif reason:
            # Never sent: a definite non-payment, so the next attempt may use a new key.
            outcomes.append((claim, payouts.Outcome(payouts.FAILED, reason)))
        else:
            to_send.append(claim)
    to_send = _still_mine(to_send, mark_sent=True)
    if to_send:
        orders = [claim.order() for claim in to_send]
        answers = payouts.get_backend().send_many(orders)
        outcomes.extend(zip(to_send, answers, strict=True))
    if outcomes:
        summary.add(
            apply_outcomes(
                [(claim.target(), answer) for claim, answer in outcomes],
                now=now,
                token=claimed[0].token,
            )
        )
    return summary
