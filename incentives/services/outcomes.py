"""Applying what the payout gateway answered (a send, a status query or a callback) to payout
requests and installments, with their audit rows, and the summary every disbursement step
returns."""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef

from incentives import payouts
from incentives.models import (
    ACCOUNT_REASONS,
    Installment,
    PayoutAccount,
    PayoutRequest,
    Reason,
)
from participants.models import ParticipantEvent
from prakerja.jobs import enqueue_on_commit
from prakerja.metrics import shared

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
    # Failed installments by reason code: ``{"failed_account_closed": 3, ...}``.
    counts: dict = field(default_factory=dict)

    def add(self, other: "DisbursementSummary") -> None:
        for name in ("claimed", "paid", "failed", "temporary", "unknown", "pending", "resolved"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    def count_failed(self, reason: str, moved: int) -> None:
        self.failed += moved
        key = f"failed_{reason}"
        self.counts[key] = self.counts.get(key, 0) + moved

    def line(self) -> str:
        data = asdict(self)
        data.pop("counts")
        data.update(sorted(self.counts.items()))
        return " ".join(f"{k}={v}" for k, v in data.items() if v not in (None, ""))


@dataclass(frozen=True, slots=True)
class OutcomeTarget:
    """What an outcome applies to: a payout request and its installment."""

    request_id: int | None
    installment_id: int
    participant_id: int
    temporary_failures: int

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
        to, reason = S.PAID, ""
    elif status == payouts.FAILED:
        requests.update(status=R.FAILED, reason_code=detail, finished_at=now)
        moved = installments.update(
            status=S.FAILED, reason_code=detail, failed_at=now, claim_token=None
        )
        if detail in ACCOUNT_REASONS and moved:
            PayoutAccount.objects.filter(
                participant_id__in=[t.participant_id for t in targets]
            ).update(validated_at=None, validation_reason=detail, validation_checked_at=now)
        summary.count_failed(detail, moved)
        to, reason = S.FAILED, detail
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
            summary.count_failed(Reason.GATEWAY_UNAVAILABLE, moved)
            to, reason = S.FAILED, Reason.GATEWAY_UNAVAILABLE
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
            to, reason = S.SCHEDULED, Reason.TEMPORARY_ERROR
        summary.temporary += moved
    elif status == payouts.TIMEOUT:
        requests.update(status=R.UNKNOWN)
        moved = installments.filter(status=S.PROCESSING).update(
            status=S.UNKNOWN, reason_code=Reason.TIMEOUT, claim_token=None
        )
        summary.unknown += len(inst_ids)
        to, reason = S.UNKNOWN, Reason.TIMEOUT
    else:  # pending: accepted, the result comes by callback or status query
        requests.filter(status=R.CREATED).update(status=R.SENT)
        summary.pending += len(inst_ids)
        return
    if moved:
        # Counted for the whole deployment once this commits (a worker, a callback, a command).
        shared.PAYOUTS.inc_on_commit(
            moved, outcome=payouts.TEMPORARY_ERROR if to == S.SCHEDULED else to, reason=reason
        )
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
    than the payouts)."""
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
