"""Sending a batch: claims, payout requests, the gateway call and applying outcomes."""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from incentives import payouts
from incentives.models import (
    ACCOUNT_REASONS,
    DisbursementBatch,
    Installment,
    PayoutAccount,
    PayoutRequest,
    Reason,
)
from participants.models import ParticipantEvent

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


@dataclass
class DisbursementSummary:
    planned: int = 0
    requeued: int = 0
    recovered: int = 0
    resolved: int = 0
    batch_id: int | None = None
    batch_status: str = ""
    claimed: int = 0
    paid: int = 0
    failed: int = 0
    temporary: int = 0
    unknown: int = 0
    pending: int = 0
    finished: int = 0
    counts: dict = field(default_factory=dict)

    def add(self, other: "DisbursementSummary") -> None:
        for name in ("claimed", "paid", "failed", "temporary", "unknown", "pending", "resolved"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        data = asdict(self)
        data.pop("counts")
        return " ".join(f"{k}={v}" for k, v in data.items() if v not in (None, ""))


def send_batch(
    *, batch: DisbursementBatch, now: dt.datetime | None = None, batch_size: int | None = None
) -> DisbursementSummary:
    """Send an approved batch: claim chunks of its scheduled installments with
    ``FOR UPDATE SKIP LOCKED`` (so several workers share the work), store their payout requests,
    call the backend, apply the outcomes. Marks the batch done when nothing is left to claim."""
    now = now or timezone.now()
    size = batch_size or settings.PAYOUT_BATCH_SIZE
    summary = DisbursementSummary()
    DisbursementBatch.objects.filter(pk=batch.pk, status=DisbursementBatch.Status.APPROVED).update(
        status=DisbursementBatch.Status.SENDING, started_at=now
    )
    while True:
        claimed = _claim(batch_id=batch.pk, now=now, size=size)
        if not claimed:
            break
        summary.add(_send_claimed(claimed, batch_id=batch.pk, now=now))
    DisbursementBatch.objects.filter(pk=batch.pk, status=DisbursementBatch.Status.SENDING).exclude(
        Exists(Installment.objects.filter(batch=OuterRef("pk"), status=S.SCHEDULED))
    ).update(status=DisbursementBatch.Status.DONE, finished_at=now)
    return summary


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed installment with what sending it needs, read as plain values (a batch holds
    thousands; model instances would cost more than the SQL)."""

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


def _claim(*, batch_id: int, now: dt.datetime, size: int) -> list[Claim]:
    """Take up to ``size`` scheduled installments of the batch for this worker. On PostgreSQL the
    rows are locked with SKIP LOCKED so concurrent workers take disjoint sets; on SQLite (one
    writer at a time) the conditional UPDATE alone decides. The claim token tells this worker's
    rows from another's."""
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            Installment.objects.select_for_update(skip_locked=True)
            .filter(batch_id=batch_id, status=S.SCHEDULED)
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return []
        Installment.objects.filter(id__in=ids, status=S.SCHEDULED).update(
            status=S.PROCESSING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1
        )
    rows = (
        Installment.objects.filter(id__in=ids, claim_token=token, status=S.PROCESSING)
        .order_by("id")
        .values_list(*CLAIM_FIELDS)
    )
    return [Claim(*row) for row in rows]


def _validate_accounts(claims: list[Claim], *, now: dt.datetime) -> dict[int, str]:
    """Validate (once) the accounts of these installments' participants with the backend.
    Returns {installment id: reason} for those that cannot be paid."""
    backend = payouts.get_backend()
    blocked: dict[int, str] = {}
    checked: dict[int, str] = {}
    for claim in claims:
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
    blocked = _validate_accounts(claimed, now=now)
    outcomes: list[tuple[PayoutRequest | None, Claim, payouts.Outcome]] = []
    to_send = []
    for claim in claimed:
        reason = blocked.get(claim.pk)
        if reason == Reason.TEMPORARY_ERROR:
            outcomes.append((None, claim, payouts.Outcome(payouts.TEMPORARY_ERROR, reason)))
        elif reason:
            outcomes.append((None, claim, payouts.Outcome(payouts.FAILED, reason)))
        else:
            to_send.append(claim)
    requests = [
        PayoutRequest(
            installment_id=claim.pk,
            batch_id=batch_id,
            attempt=claim.attempts,
            idempotency_key=f"PKJ-{claim.pk}-{claim.attempts}",
            amount_idr=claim.amount_idr,
            account_kind=claim.account_kind,
            account_number=claim.account_number,
            created_at=now,
        )
        for claim in to_send
    ]
    # Stored and committed before any call: the key survives whatever happens next.
    PayoutRequest.objects.bulk_create(requests)
    if requests:
        orders = [
            payouts.PayoutOrder(
                idempotency_key=req.idempotency_key,
                reference=f"installment-{claim.pk}",
                amount_idr=req.amount_idr,
                account_kind=req.account_kind,
                account_number=req.account_number,
                holder_name=claim.holder_name,
            )
            for req, claim in zip(requests, to_send, strict=True)
        ]
        answers = payouts.get_backend().send_many(orders)
        outcomes.extend(zip(requests, to_send, answers, strict=True))
    summary.add(apply_outcomes(outcomes, now=now))
    return summary


def apply_outcomes(
    outcomes: list[tuple[PayoutRequest | None, Installment, payouts.Outcome]],
    *,
    now: dt.datetime,
) -> DisbursementSummary:
    """Write what the backend answered, one conditional UPDATE per kind of outcome. A request
    moves only from an open status, an installment only from processing/unknown, so a late or
    repeated answer changes nothing."""
    summary = DisbursementSummary()
    by_kind: dict[tuple, list] = defaultdict(list)
    for req, inst, outcome in outcomes:
        status = outcome.status
        if status == payouts.FAILED and outcome.reason_code not in Reason.values:
            outcome = payouts.Outcome(payouts.FAILED, Reason.ACCOUNT_NOT_FOUND)
        if status == payouts.TEMPORARY_ERROR:
            failures = inst.temporary_failures + 1
            key = (status, failures)
        else:
            key = (status, outcome.reason_code)
        by_kind[key].append((req, inst))
    open_states = [S.PROCESSING, S.UNKNOWN]
    with transaction.atomic():
        for (status, detail), pairs in by_kind.items():
            req_ids = [req.pk for req, _ in pairs if req is not None]
            inst_ids = [inst.pk for _, inst in pairs]
            requests = PayoutRequest.objects.filter(id__in=req_ids, status__in=PayoutRequest.OPEN)
            installments = Installment.objects.filter(id__in=inst_ids, status__in=open_states)
            if status == payouts.PAID:
                requests.update(status=R.PAID, finished_at=now)
                moved = installments.update(status=S.PAID, paid_at=now, reason_code="")
                summary.paid += moved
                to = S.PAID
            elif status == payouts.FAILED:
                requests.update(status=R.FAILED, reason_code=detail, finished_at=now)
                moved = installments.update(status=S.FAILED, reason_code=detail, failed_at=now)
                if detail in ACCOUNT_REASONS:
                    PayoutAccount.objects.filter(
                        participant_id__in=[inst.participant_id for _, inst in pairs]
                    ).update(validated_at=None, validation_reason=detail, validation_checked_at=now)
                summary.failed += moved
                to = S.FAILED
            elif status == payouts.TEMPORARY_ERROR:
                requests.update(
                    status=R.TEMPORARY_ERROR, reason_code="temporary_error", finished_at=now
                )
                if detail >= settings.PAYOUT_MAX_TEMPORARY_FAILURES:
                    moved = installments.update(
                        status=S.FAILED,
                        reason_code=Reason.GATEWAY_UNAVAILABLE,
                        failed_at=now,
                        temporary_failures=detail,
                    )
                    to = S.FAILED
                else:
                    backoff = min(settings.PAYOUT_RETRY_BASE_SECONDS * 2 ** (detail - 1), 86_400)
                    moved = installments.update(
                        status=S.SCHEDULED,
                        reason_code=Reason.TEMPORARY_ERROR,
                        next_attempt_at=now + dt.timedelta(seconds=backoff),
                        temporary_failures=detail,
                        batch=None,
                    )
                    to = S.SCHEDULED
                summary.temporary += moved
            elif status == payouts.TIMEOUT:
                requests.update(status=R.UNKNOWN)
                moved = installments.filter(status=S.PROCESSING).update(
                    status=S.UNKNOWN, reason_code=Reason.TIMEOUT
                )
                summary.unknown += len(inst_ids)
                to = S.UNKNOWN
            else:  # pending: accepted, the result comes by callback or status query
                PayoutRequest.objects.filter(id__in=req_ids, status=R.CREATED).update(
                    status=R.SENT, sent_at=now
                )
                summary.pending += len(inst_ids)
                continue
            if moved:
                _record_payout_events(
                    installment_ids=inst_ids,
                    to_status=to,
                    reason_code=detail if isinstance(detail, str) and detail else to,
                    now=now,
                )
    return summary


def _record_payout_events(
    *, installment_ids: list[int], to_status: str, reason_code: str, now: dt.datetime
) -> None:
    """One audit row per installment that has just reached ``to_status``, written by one
    ``INSERT ... SELECT`` (a chunk holds thousands; building model instances would cost more
    than the payouts). Plain SQL that PostgreSQL and SQLite both run."""
    event = ParticipantEvent._meta
    inst = Installment._meta
    columns = ", ".join(
        event.get_field(name).column
        for name in (
            "participant",
            "kind",
            "from_status",
            "to_status",
            "reason_code",
            "note",
            "created_at",
        )
    )
    placeholders = ", ".join(["%s"] * len(installment_ids))
    sql = (
        f"INSERT INTO {event.db_table} ({columns}) "  # noqa: S608 (names from model meta)
        f"SELECT participant_id, %s, '', %s, %s, kind || ' ' || CAST(number AS TEXT), %s "
        f"FROM {inst.db_table} WHERE id IN ({placeholders}) AND status = %s"
    )
    created_at = connection.ops.adapt_datetimefield_value(now)
    params = [ParticipantEvent.Kind.PAYOUT, to_status, reason_code, created_at, *installment_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, to_status])


def recover_stale_claims(*, now: dt.datetime | None = None) -> int:
    """Claims older than ``PAYOUT_CLAIM_LEASE_SECONDS`` belong to a worker that died. With a
    stored request, the call may have gone out: the outcome is unknown (resolved by a status
    query). Without one, nothing was sent: the installment is simply scheduled again."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.PAYOUT_CLAIM_LEASE_SECONDS)
    stale = Installment.objects.filter(status=S.PROCESSING, claimed_at__lt=cutoff)
    open_request = PayoutRequest.objects.filter(
        installment=OuterRef("pk"), status__in=PayoutRequest.OPEN
    )
    with transaction.atomic():
        PayoutRequest.objects.filter(installment__in=stale, status__in=[R.CREATED, R.SENT]).update(
            status=R.UNKNOWN
        )
        unknown = stale.filter(Exists(open_request)).update(
            status=S.UNKNOWN, reason_code=Reason.TIMEOUT
        )
        rescheduled = stale.filter(~Exists(open_request)).update(
            status=S.SCHEDULED, next_attempt_at=now, batch=None
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
    same idempotency key. Paid/failed settle it; a key the backend never received is sent again
    with the same key (it cannot pay twice); a timeout leaves it unknown for the next run."""
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
                account = req.installment.participant.payout_account
                answer = backend.send(
                    payouts.PayoutOrder(
                        idempotency_key=req.idempotency_key,
                        reference=f"installment-{req.installment_id}",
                        amount_idr=req.amount_idr,
                        account_kind=req.account_kind,
                        account_number=req.account_number,
                        holder_name=account.holder_name,
                    )
                )
            if answer.status == payouts.PENDING:
                continue
            outcomes.append((req, req.installment, answer))
            summary.resolved += 1
        summary.add(apply_outcomes(outcomes, now=now))
