"""Sending a batch: claims, payout requests, the gateway call and applying outcomes."""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incentives import payouts
from incentives.models import (
    ACCOUNT_REASONS,
    DisbursementBatch,
    DisbursementBatchEvent,
    Installment,
    PayoutAccount,
    PayoutRequest,
    Reason,
)
from participants.jobs import enqueue_on_commit
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
    payout requests, in one transaction, before anything slow happens. On PostgreSQL the rows
    are locked with SKIP LOCKED so concurrent workers take disjoint sets; on SQLite (one writer
    at a time) the conditional UPDATE alone decides. The claim token is this worker's fence:
    every later call and write checks it (:func:`_still_mine`)."""
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
            status=S.PROCESSING, claimed_at=timezone.now(), claim_token=token
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
        orders = [
            payouts.PayoutOrder(
                idempotency_key=claim.idempotency_key,
                reference=f"installment-{claim.pk}",
                amount_idr=claim.amount_idr,
                account_kind=claim.request_account_kind,
                account_number=claim.request_account_number,
                holder_name=claim.holder_name or "",
            )
            for claim in to_send
        ]
        answers = payouts.get_backend().send_many(orders)
        outcomes.extend(zip(to_send, answers, strict=True))
    if outcomes:
        summary.add(
            apply_outcomes(
                [(OutcomeTarget.of(claim), answer) for claim, answer in outcomes],
                now=now,
                token=claimed[0].token,
            )
        )
    return summary


@dataclass(frozen=True, slots=True)
class OutcomeTarget:
    """What an outcome applies to: a payout request and its installment."""

    request_id: int | None
    installment_id: int
    participant_id: int
    temporary_failures: int

    @classmethod
    def of(cls, claim: Claim) -> "OutcomeTarget":
        return cls(claim.request_id, claim.pk, claim.participant_id, claim.temporary_failures)

    @classmethod
    def of_request(cls, req: PayoutRequest) -> "OutcomeTarget":
        inst = req.installment
        return cls(req.pk, inst.pk, inst.participant_id, inst.temporary_failures)


def apply_outcomes(
    outcomes: list[tuple[OutcomeTarget, payouts.Outcome]],
    *,
    now: dt.datetime,
    token: uuid.UUID | None = None,
) -> DisbursementSummary:
    """Write what the backend answered, one conditional UPDATE per kind of outcome. A request
    moves only from an open status, an installment only from processing/unknown, so a late or
    repeated answer changes nothing and nothing ever leaves ``paid``. With ``token`` (a sending
    worker) only installments still claimed under that token are written: a worker that lost
    its claim records nothing. A database refusal in one group never stops the others."""
    summary = DisbursementSummary()
    with transaction.atomic():
        if token is not None:
            owned = set(
                Installment.objects.select_for_update()
                .filter(
                    id__in=[t.installment_id for t, _ in outcomes],
                    claim_token=token,
                    status=S.PROCESSING,
                )
                .values_list("id", flat=True)
            )
            outcomes = [(t, o) for t, o in outcomes if t.installment_id in owned]
        by_kind: dict[tuple, list[OutcomeTarget]] = defaultdict(list)
        for target, outcome in outcomes:
            status = outcome.status
            if status == payouts.FAILED and outcome.reason_code not in Reason.values:
                outcome = payouts.Outcome(payouts.FAILED, Reason.ACCOUNT_NOT_FOUND)
            if status == payouts.TEMPORARY_ERROR:
                key = (status, target.temporary_failures + 1)
            else:
                key = (status, outcome.reason_code)
            by_kind[key].append(target)
        for (status, detail), targets in by_kind.items():
            try:
                with transaction.atomic():
                    _apply_group(status, detail, targets, now=now, summary=summary)
            except IntegrityError:
                logger.exception("payout outcome %s refused for %s", status, targets)
                for target in targets:
                    try:
                        with transaction.atomic():
                            _apply_group(status, detail, [target], now=now, summary=summary)
                    except IntegrityError:
                        logger.exception("payout outcome %s refused for %s", status, target)
    return summary


def _apply_group(
    status: str,
    detail,
    targets: list[OutcomeTarget],
    *,
    now: dt.datetime,
    summary: DisbursementSummary,
) -> None:
    req_ids = [t.request_id for t in targets if t.request_id is not None]
    inst_ids = [t.installment_id for t in targets]
    requests = PayoutRequest.objects.filter(id__in=req_ids, status__in=PayoutRequest.OPEN)
    installments = Installment.objects.filter(id__in=inst_ids, status__in=[S.PROCESSING, S.UNKNOWN])
    if status == payouts.PAID:
        # An installment that already has another paid request (an older double payout): the
        # answer is kept as a conflict for reconciliation instead of breaking the constraint.
        other_paid = PayoutRequest.objects.filter(
            installment_id=OuterRef("installment_id"), status=R.PAID
        ).exclude(pk=OuterRef("pk"))
        requests.filter(Exists(other_paid)).update(status=R.CONFLICT, finished_at=now)
        requests.update(status=R.PAID, finished_at=now)
        moved = installments.update(status=S.PAID, paid_at=now, reason_code="", claim_token=None)
        summary.paid += moved
        to = S.PAID
    elif status == payouts.FAILED:
        requests.update(status=R.FAILED, reason_code=detail, finished_at=now)
        moved = installments.update(
            status=S.FAILED, reason_code=detail, failed_at=now, claim_token=None
        )
        if detail in ACCOUNT_REASONS and moved:
            PayoutAccount.objects.filter(
                participant_id__in=[t.participant_id for t in targets]
            ).update(validated_at=None, validation_reason=detail, validation_checked_at=now)
        summary.failed += moved
        to = S.FAILED
    elif status == payouts.TEMPORARY_ERROR:
        # Not a definite answer about the money: the request keeps its key for the next try.
        requests.update(status=R.TEMPORARY_ERROR, reason_code="temporary_error")
        if detail >= settings.PAYOUT_MAX_TEMPORARY_FAILURES:
            moved = installments.update(
                status=S.FAILED,
                reason_code=Reason.GATEWAY_UNAVAILABLE,
                failed_at=now,
                temporary_failures=detail,
                claim_token=None,
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
                claim_token=None,
            )
            to = S.SCHEDULED
        summary.temporary += moved
    elif status == payouts.TIMEOUT:
        requests.update(status=R.UNKNOWN)
        moved = installments.filter(status=S.PROCESSING).update(
            status=S.UNKNOWN, reason_code=Reason.TIMEOUT, claim_token=None
        )
        summary.unknown += len(inst_ids)
        to = S.UNKNOWN
    else:  # pending: accepted, the result comes by callback or status query
        requests.filter(status=R.CREATED).update(status=R.SENT)
        summary.pending += len(inst_ids)
        return
    if moved and to in (S.PAID, S.FAILED):
        # SMS and email about paid and failed installments, by a worker after commit.
        enqueue_on_commit("incentives.tasks.notify_payouts", inst_ids, robust=True)
    if moved:
        _record_payout_events(
            installment_ids=inst_ids,
            to_status=to,
            reason_code=detail if isinstance(detail, str) and detail else to,
            now=now,
        )


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
                    payouts.PayoutOrder(
                        idempotency_key=req.idempotency_key,
                        reference=f"installment-{req.installment_id}",
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
