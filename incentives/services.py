"""Writes and state transitions for incentives: payout accounts, the schedule, surveys,
disbursement, callbacks, staff actions and reconciliation.

Money rules kept here (DOMAIN.md section 3):

* an installment is never paid twice: every payout request is stored (and committed) with a
  deterministic idempotency key before the backend is called; an unknown outcome is resolved by
  asking the backend about that same key before any new key is used; the database refuses a
  second paid request per installment;
* status changes are conditional UPDATEs on the current status, so concurrent workers, late
  callbacks and duplicated callbacks cannot undo or repeat one another;
* batch work is set-based: planning inserts in chunks, claims take ``FOR UPDATE SKIP LOCKED``
  batches on PostgreSQL, outcomes are applied with one UPDATE per outcome kind per chunk.
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from incentives import payouts
from incentives.models import (
    ACCOUNT_REASONS,
    DisbursementBatch,
    Installment,
    PayoutAccount,
    PayoutAccountChange,
    PayoutCallback,
    PayoutRequest,
    Reason,
    ReconciliationReport,
    Survey,
    SurveyResponse,
)
from participants import deadlines, otp, sms
from participants.models import DomainError, InvalidTransition, Participant, ParticipantEvent
from participants.services import record_event
from trainings.models import Voucher

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- errors ---------------------------------------------------------------------------------------


class WrongPassword(DomainError):
    code = "wrong_password"
    message = _("Kata sandi salah.")


class InvalidAccountNumber(DomainError):
    code = "invalid_account_number"
    message = _("Nomor rekening BNI harus 10 angka.")


class EwalletNotOwnPhone(DomainError):
    code = "ewallet_not_own_phone"
    message = _("Nomor e-wallet harus sama dengan nomor HP terdaftar Anda.")


class OtpInvalid(DomainError):
    code = "otp_invalid"
    message = _("Kode OTP salah.")


class OtpExpired(DomainError):
    code = "otp_expired"
    message = _("Kode OTP sudah kedaluwarsa. Silakan ulangi perubahan rekening.")


class OtpLocked(DomainError):
    code = "otp_locked"
    message = _("Terlalu banyak percobaan OTP. Silakan ulangi perubahan rekening.")


class SurveyNotOpen(DomainError):
    code = "survey_not_open"
    message = _("Survei ini belum dapat diisi.")


class SurveyAlreadyCompleted(DomainError):
    code = "survey_already_completed"
    message = _("Survei ini sudah Anda isi.")


class CheckerIsMaker(DomainError):
    code = "checker_is_maker"
    message = _("Batch harus disetujui oleh petugas lain, bukan pembuatnya.")


# --- payout account -------------------------------------------------------------------------------


def _clean_number(kind: str, number: str, participant: Participant) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    if kind == PayoutAccount.Kind.BNI:
        if len(digits) != 10:
            raise InvalidAccountNumber()
        return digits
    # E-wallets are registered to the participant's own phone (DOMAIN.md section 7).
    if not digits or sms.normalize_phone(digits) != sms.normalize_phone(participant.phone):
        raise EwalletNotOwnPhone()
    return "0" + sms.normalize_phone(digits)[3:]


def request_payout_account_change(
    *,
    participant: Participant,
    password: str,
    kind: str,
    number: str,
    holder_name: str,
    now: dt.datetime | None = None,
) -> PayoutAccountChange:
    """Start registering or changing the payout account: re-checks the password, validates the
    number, stores the pending change and sends a 6-digit OTP by SMS to the registered phone.

    Raises :class:`WrongPassword`, :class:`InvalidAccountNumber`, :class:`EwalletNotOwnPhone`.
    """
    now = now or timezone.now()
    if not participant.user.check_password(password):
        raise WrongPassword()
    clean = _clean_number(kind, number, participant)
    code = otp.generate_code()
    change = PayoutAccountChange(
        participant=participant,
        kind=kind,
        number=clean,
        holder_name=" ".join(holder_name.split()),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.PAYOUT_ACCOUNT_OTP_TTL_SECONDS),
    )
    change.otp_hash = otp.hash_code(code, purpose=f"payout-account:{change.id}")
    with transaction.atomic():
        change.save()
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="account_change_requested",
            note=f"{kind} …{clean[-4:]}",
            actor=participant.user,
            now=now,
        )
    sms.send_sms(
        to=participant.phone,
        text=_t(
            "Kode OTP perubahan rekening insentif Prakerja: %(code)s. "
            "JANGAN berikan kepada siapa pun."
        )
        % {"code": code},
    )
    return change


def confirm_payout_account_change(
    *, participant: Participant, change_id, code: str, now: dt.datetime | None = None
) -> PayoutAccount:
    """Apply a pending account change once its OTP is right and in time. The account's
    validation is reset, the change is audited, and installments that failed because of the
    old account are scheduled again at once (the retry is automatic).

    Raises :class:`OtpInvalid`, :class:`OtpExpired`, :class:`OtpLocked`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        change = (
            PayoutAccountChange.objects.select_for_update()
            .filter(pk=change_id, participant=participant, confirmed_at__isnull=True)
            .first()
        )
        if change is None or change.expires_at < now:
            raise OtpExpired()
        if change.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise OtpLocked()
        if not otp.code_matches(
            code.strip(), purpose=f"payout-account:{change.id}", code_hash=change.otp_hash
        ):
            PayoutAccountChange.objects.filter(pk=change.pk).update(attempts=F("attempts") + 1)
            raise OtpInvalid(attempts_left=settings.OTP_MAX_ATTEMPTS - change.attempts - 1)
        PayoutAccountChange.objects.filter(pk=change.pk).update(confirmed_at=now)
        old = PayoutAccount.objects.filter(participant=participant).first()
        account, _created = PayoutAccount.objects.update_or_create(
            participant=participant,
            defaults={
                "kind": change.kind,
                "number": change.number,
                "holder_name": change.holder_name,
                "validated_at": None,
                "validation_reason": "",
                "validation_checked_at": None,
                "updated_at": now,
            },
            create_defaults={
                "kind": change.kind,
                "number": change.number,
                "holder_name": change.holder_name,
                "created_at": now,
                "updated_at": now,
            },
        )
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="account_changed" if old else "account_registered",
            note=(f"{old.kind} …{old.number[-4:]} -> " if old else "")
            + f"{account.kind} …{account.number[-4:]}",
            actor=participant.user,
            now=now,
        )
        requeued = _requeue_account_failures(
            Installment.objects.filter(participant=participant), now=now
        )
        if requeued:
            from incentives import tasks

            pid = participant.pk
            transaction.on_commit(lambda: tasks.disburse_for_participant.delay(pid))
    return account


def _requeue_account_failures(installments, *, now: dt.datetime) -> int:
    return installments.filter(status=S.FAILED, reason_code__in=ACCOUNT_REASONS).update(
        status=S.SCHEDULED,
        reason_code="",
        next_attempt_at=now,
        batch=None,
        temporary_failures=0,
    )


def requeue_fixed_accounts(*, now: dt.datetime | None = None) -> int:
    """Schedule again every installment that failed because of its account when the account
    has been changed since (e.g. by staff in the admin)."""
    now = now or timezone.now()
    return _requeue_account_failures(
        Installment.objects.filter(participant__payout_account__updated_at__gt=F("failed_at")),
        now=now,
    )


# --- the schedule ---------------------------------------------------------------------------------


def _eligible_participant_ids():
    """Participants whose first training is completed, certified and reviewed, with no monthly
    installments yet (only the first training earns them)."""
    return (
        Voucher.objects.filter(
            sequence=1,
            status=Voucher.Status.COMPLETED,
            reviewed_at__isnull=False,
            participant__status__in=[Participant.Status.ACTIVE],
        )
        .exclude(certificate_number="")
        .filter(
            ~Exists(
                Installment.objects.filter(
                    participant=OuterRef("participant"), kind=Installment.Kind.MONTHLY
                )
            )
        )
        .values_list("participant_id", flat=True)
        .order_by("participant_id")
    )


def plan_installments(*, now: dt.datetime | None = None, chunk: int = 5000) -> int:
    """Create the monthly installments of every newly eligible participant: ``INCENTIVE_MONTHS``
    of ``INCENTIVE_MONTHLY_IDR``, the first due now (the job runs daily, so within a day of
    eligibility), the next ones a calendar month apart. Idempotent: the unique constraint on
    (participant, kind, number) and the ``NOT EXISTS`` make a second run a no-op.
    Returns the number of participants scheduled."""
    now = now or timezone.now()
    dues = [deadlines.add_wib_months(now, k) for k in range(settings.INCENTIVE_MONTHS)]
    amount = settings.INCENTIVE_MONTHLY_IDR
    scheduled = 0
    last_id = 0
    while True:
        ids = list(_eligible_participant_ids().filter(participant_id__gt=last_id)[:chunk])
        if not ids:
            return scheduled
        last_id = ids[-1]
        Installment.objects.bulk_create(
            [
                Installment(
                    participant_id=pid,
                    kind=Installment.Kind.MONTHLY,
                    number=k + 1,
                    amount_idr=amount,
                    due_at=due,
                    next_attempt_at=due,
                    created_at=now,
                )
                for pid in ids
                for k, due in enumerate(dues)
            ],
            ignore_conflicts=True,
        )
        ParticipantEvent.objects.bulk_create(
            [
                ParticipantEvent(
                    participant_id=pid,
                    kind=ParticipantEvent.Kind.PAYOUT,
                    reason_code="schedule_created",
                    note=f"{settings.INCENTIVE_MONTHS} x Rp{amount}",
                    created_at=now,
                )
                for pid in ids
            ]
        )
        scheduled += len(ids)


# --- surveys --------------------------------------------------------------------------------------

DEFAULT_SURVEYS = [
    (
        1,
        "Survei Evaluasi 1: Manfaat Pelatihan",
        [
            (
                "Seberapa bermanfaat pelatihan pertama Anda?",
                "Sangat bermanfaat\nBermanfaat\nKurang bermanfaat\nTidak bermanfaat",
            ),
            ("Keterampilan apa yang paling Anda rasakan meningkat?", ""),
        ],
    ),
    (
        2,
        "Survei Evaluasi 2: Status Pekerjaan",
        [
            (
                "Apa status pekerjaan Anda saat ini?",
                "Bekerja\nBerwirausaha\nMencari kerja\nLainnya",
            ),
            (
                "Apakah pelatihan membantu Anda mendapat pekerjaan atau penghasilan?",
                "Ya\nTidak\nBelum tahu",
            ),
        ],
    ),
    (
        3,
        "Survei Evaluasi 3: Penggunaan Insentif",
        [
            (
                "Untuk apa insentif paling banyak Anda gunakan?",
                "Kebutuhan pokok\nModal usaha\nBiaya mencari kerja\nLainnya",
            ),
            ("Saran Anda untuk program Kartu Prakerja", ""),
        ],
    ),
]


def ensure_default_surveys() -> int:
    """Create the evaluation surveys that do not exist yet, with starter questions (staff edit
    them in the admin). Returns how many were created."""
    created_count = 0
    for number, title, questions in DEFAULT_SURVEYS:
        survey, created = Survey.objects.get_or_create(number=number, defaults={"title": title})
        if created:
            created_count += 1
            for order, (text, choices) in enumerate(questions, start=1):
                survey.questions.create(order=order, text=text, choices=choices)
    return created_count


@dataclass
class SurveySlot:
    survey: Survey
    state: str  # "locked", "open", "done"
    opens_at: dt.datetime | None = None


def survey_slots(*, participant: Participant, now: dt.datetime | None = None) -> list[SurveySlot]:
    """The evaluation surveys as the participant sees them: survey 1 opens
    ``SURVEY_FIRST_OPENS_DAYS`` after the first incentive was paid, each next one once the
    previous is completed."""
    now = now or timezone.now()
    surveys = list(Survey.objects.filter(number__lte=settings.SURVEY_COUNT).order_by("number"))
    done = set(
        SurveyResponse.objects.filter(participant=participant).values_list(
            "survey__number", flat=True
        )
    )
    first_paid = (
        Installment.objects.filter(
            participant=participant, kind=Installment.Kind.MONTHLY, number=1, status=S.PAID
        )
        .values_list("paid_at", flat=True)
        .first()
    )
    opens = first_paid + dt.timedelta(days=settings.SURVEY_FIRST_OPENS_DAYS) if first_paid else None
    slots = []
    previous_done = True
    for survey in surveys:
        if survey.number in done:
            slots.append(SurveySlot(survey, "done"))
        elif survey.number == 1:
            state = "open" if opens and now >= opens else "locked"
            slots.append(SurveySlot(survey, state, opens))
        else:
            slots.append(SurveySlot(survey, "open" if previous_done else "locked"))
        previous_done = survey.number in done and (survey.number != 1 or previous_done)
    return slots


def complete_survey(
    *, participant: Participant, survey: Survey, answers: dict, now: dt.datetime | None = None
) -> Installment:
    """Record a completed survey and create its ``SURVEY_INCENTIVE_IDR`` installment, due now.

    Raises :class:`SurveyNotOpen` or :class:`SurveyAlreadyCompleted`."""
    now = now or timezone.now()
    slot = next(
        (s for s in survey_slots(participant=participant, now=now) if s.survey.pk == survey.pk),
        None,
    )
    if slot is not None and slot.state == "done":
        raise SurveyAlreadyCompleted()
    if slot is None or slot.state != "open":
        raise SurveyNotOpen()
    with transaction.atomic():
        SurveyResponse.objects.create(
            participant=participant, survey=survey, answers=answers, completed_at=now
        )
        installment = Installment.objects.create(
            participant=participant,
            kind=Installment.Kind.SURVEY,
            number=survey.number,
            amount_idr=settings.SURVEY_INCENTIVE_IDR,
            due_at=now,
            next_attempt_at=now,
            created_at=now,
        )
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="survey_completed",
            note=f"survei {survey.number}",
            actor=participant.user,
            now=now,
        )
    return installment


# --- disbursement ---------------------------------------------------------------------------------


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


def run_disbursement(
    *,
    now: dt.datetime | None = None,
    actor=None,
    batch_size: int | None = None,
    participant_id: int | None = None,
) -> DisbursementSummary:
    """The daily job (beat and ``disburse_incentives``): plan new schedules, schedule again what
    a fixed account unblocks, recover claims of dead workers, resolve unknown outcomes by asking
    the backend, group due installments into a batch and send every approved batch.
    Safe to run concurrently and to re-run."""
    now = now or timezone.now()
    summary = DisbursementSummary()
    if participant_id is None:
        summary.planned = plan_installments(now=now)
        summary.requeued = requeue_fixed_accounts(now=now)
        summary.recovered = recover_stale_claims(now=now)
    resolved = resolve_unknown(now=now, participant_id=participant_id)
    summary.add(resolved)
    summary.resolved = resolved.resolved
    batch = create_batch(now=now, actor=actor, participant_id=participant_id)
    if batch is not None:
        summary.batch_id, summary.batch_status = batch.pk, batch.status
    sendable = DisbursementBatch.objects.filter(
        status__in=[DisbursementBatch.Status.APPROVED, DisbursementBatch.Status.SENDING]
    ).order_by("id")
    if participant_id is not None:
        # A participant's own run (after fixing the account) sends only their own batch.
        sendable = sendable.filter(pk=summary.batch_id)
    for approved in sendable:
        summary.add(send_batch(batch=approved, now=now, batch_size=batch_size))
    if participant_id is None:
        summary.finished = finish_participants(now=now)
    return summary


def create_batch(
    *, now: dt.datetime | None = None, actor=None, participant_id: int | None = None
) -> DisbursementBatch | None:
    """Group every due, unbatched scheduled installment into a new batch (one UPDATE). A batch
    whose total is above ``PAYOUT_APPROVAL_THRESHOLD_IDR`` waits for approval; others are
    approved at once. Returns ``None`` when nothing is due."""
    now = now or timezone.now()
    due = Installment.objects.filter(
        status=S.SCHEDULED, next_attempt_at__lte=now, batch__isnull=True
    )
    if participant_id is not None:
        due = due.filter(participant_id=participant_id)
    with transaction.atomic():
        batch = DisbursementBatch.objects.create(
            status=DisbursementBatch.Status.PENDING_APPROVAL, created_at=now, created_by=actor
        )
        count = due.update(batch=batch)
        if not count:
            batch.delete()
            return None
        total = Installment.objects.filter(batch=batch).aggregate(t=Sum("amount_idr"))["t"] or 0
        batch.installment_count, batch.total_idr = count, total
        if total <= settings.PAYOUT_APPROVAL_THRESHOLD_IDR:
            batch.status = DisbursementBatch.Status.APPROVED
            batch.approved_at = now
        batch.save()
    return batch


def approve_batch(
    *, batch: DisbursementBatch, actor, now: dt.datetime | None = None
) -> DisbursementBatch:
    """The checker's approval of a batch above the threshold. The approver must be another staff
    member than the one who made the batch (also a database constraint).

    Raises :class:`CheckerIsMaker` or :class:`InvalidTransition`."""
    now = now or timezone.now()
    if batch.created_by_id is not None and batch.created_by_id == actor.pk:
        raise CheckerIsMaker()
    updated = DisbursementBatch.objects.filter(
        pk=batch.pk, status=DisbursementBatch.Status.PENDING_APPROVAL
    ).update(status=DisbursementBatch.Status.APPROVED, approved_by=actor, approved_at=now)
    if not updated:
        raise InvalidTransition()
    batch.refresh_from_db()
    return batch


def reject_batch(*, batch: DisbursementBatch, actor, now: dt.datetime | None = None) -> int:
    """Reject a batch waiting for approval; its installments go back to the pool."""
    with transaction.atomic():
        updated = DisbursementBatch.objects.filter(
            pk=batch.pk, status=DisbursementBatch.Status.PENDING_APPROVAL
        ).update(status=DisbursementBatch.Status.REJECTED, approved_by=actor, finished_at=now)
        if not updated:
            raise InvalidTransition()
        return Installment.objects.filter(batch=batch, status=S.SCHEDULED).update(batch=None)


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


def finish_participants(*, now: dt.datetime | None = None, chunk: int = 5000) -> int:
    """Participants whose every incentive (monthly and survey) is paid become ``finished``.

    Set-based, in chunks: one conditional UPDATE (``status = active``, so a concurrent revocation
    wins) and one bulk insert of the audit rows per chunk, in one transaction. Idempotent.
    """
    now = now or timezone.now()
    if (
        Participant.Status.FINISHED
        not in Participant.ALLOWED_TRANSITIONS[Participant.Status.ACTIVE]
    ):
        raise InvalidTransition(from_status="active", to_status="finished")
    needed = settings.INCENTIVE_MONTHS + settings.SURVEY_COUNT
    last_survey_paid = Installment.objects.filter(
        participant=OuterRef("pk"),
        kind=Installment.Kind.SURVEY,
        number=settings.SURVEY_COUNT,
        status=S.PAID,
    )
    candidates = list(
        Participant.objects.filter(status=Participant.Status.ACTIVE)
        .filter(Exists(last_survey_paid))
        .annotate(paid=Count("installments", filter=Q(installments__status=S.PAID)))
        .filter(paid__gte=needed)
        .values_list("pk", flat=True)
    )
    finished = 0
    for start in range(0, len(candidates), chunk):
        ids = candidates[start : start + chunk]
        with transaction.atomic():
            moved = list(
                Participant.objects.select_for_update()
                .filter(pk__in=ids, status=Participant.Status.ACTIVE)
                .values_list("pk", flat=True)
            )
            Participant.objects.filter(pk__in=moved).update(
                status=Participant.Status.FINISHED, finished_at=now
            )
            ParticipantEvent.objects.bulk_create(
                ParticipantEvent(
                    participant_id=pk,
                    kind=ParticipantEvent.Kind.STATUS,
                    from_status=Participant.Status.ACTIVE,
                    to_status=Participant.Status.FINISHED,
                    reason_code="all_incentives_paid",
                    created_at=now,
                )
                for pk in moved
            )
        finished += len(moved)
    return finished


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


# --- staff actions --------------------------------------------------------------------------------


def retry_failed(*, installment_ids: list[int], actor, now: dt.datetime | None = None) -> int:
    """Staff: schedule failed installments again now (e.g. after the gateway recovered)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Installment.objects.filter(id__in=installment_ids, status=S.FAILED).values_list(
                "id", "participant_id", "reason_code"
            )
        )
        moved = Installment.objects.filter(id__in=[r[0] for r in rows], status=S.FAILED).update(
            status=S.SCHEDULED,
            reason_code="",
            next_attempt_at=now,
            batch=None,
            temporary_failures=0,
        )
        ParticipantEvent.objects.bulk_create(
            ParticipantEvent(
                participant_id=pid,
                kind=ParticipantEvent.Kind.PAYOUT,
                from_status=S.FAILED,
                to_status=S.SCHEDULED,
                reason_code="retry_by_staff",
                note=f"installment {iid} ({reason})",
                actor=actor,
                created_at=now,
            )
            for iid, pid, reason in rows
        )
    return moved


def mark_resolved(
    *, installment_ids: list[int], actor, now: dt.datetime | None = None
) -> DisbursementSummary:
    """Staff: settle unknown or stuck installments now by asking the backend about their keys
    (the same resolution the daily job does, without waiting for it)."""
    now = now or timezone.now()
    # The selected stuck claims are treated as stale at once: a staff member asked.
    stuck = Installment.objects.filter(id__in=installment_ids, status=S.PROCESSING)
    PayoutRequest.objects.filter(installment__in=stuck, status__in=[R.CREATED, R.SENT]).update(
        status=R.UNKNOWN
    )
    stuck.filter(
        Exists(PayoutRequest.objects.filter(installment=OuterRef("pk"), status=R.UNKNOWN))
    ).update(status=S.UNKNOWN, reason_code=Reason.TIMEOUT)
    summary = resolve_unknown(now=now, installment_ids=installment_ids)
    for pid in set(
        Installment.objects.filter(id__in=installment_ids).values_list("participant_id", flat=True)
    ):
        record_event(
            participant=Participant(pk=pid),
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="resolved_by_staff",
            actor=actor,
            now=now,
        )
    return summary


# --- reconciliation -------------------------------------------------------------------------------


def reconcile(*, day: dt.date, now: dt.datetime | None = None) -> ReconciliationReport:
    """Compare, for one WIB day, the payout requests the portal made with what the backend
    reports, key by key. Re-running replaces the day's report."""
    now = now or timezone.now()
    since = dt.datetime.combine(day, dt.time.min, tzinfo=deadlines.WIB)
    until = since + dt.timedelta(days=1)
    portal = {
        key: (status, amount)
        for key, status, amount in PayoutRequest.objects.filter(
            created_at__gte=since, created_at__lt=until
        ).values_list("idempotency_key", "status", "amount_idr")
    }
    backend = payouts.get_backend().report(since=since, until=until)
    mismatches = []
    for key in sorted(set(portal) | set(backend)):
        portal_status = portal.get(key, ("absent", 0))[0]
        line = backend.get(key)
        backend_status = line.status if line else "absent"
        if (portal_status == R.PAID) != (backend_status == payouts.PAID):
            mismatches.append({"key": key, "portal": portal_status, "backend": backend_status})
    report, _ = ReconciliationReport.objects.update_or_create(
        day=day,
        defaults={
            "created_at": now,
            "portal_paid_count": sum(1 for s, _ in portal.values() if s == R.PAID),
            "portal_paid_idr": sum(a for s, a in portal.values() if s == R.PAID),
            "backend_paid_count": sum(
                1 for line in backend.values() if line.status == payouts.PAID
            ),
            "backend_paid_idr": sum(
                line.amount_idr for line in backend.values() if line.status == payouts.PAID
            ),
            "mismatch_count": len(mismatches),
            "mismatches": mismatches[:1000],
        },
    )
    return report
