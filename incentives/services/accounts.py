"""The payout account: a change confirmed by OTP, and re-queuing installments it unblocks."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _t

from incentives import payouts
from incentives.models import (
    ACCOUNT_REASONS,
    Installment,
    PayoutAccount,
    PayoutAccountChange,
    PayoutRequest,
    Reason,
)
from incentives.services.errors import (
    AccountCheckFailed,
    EwalletNotOwnPhone,
    InvalidAccountNumber,
    OtpExpired,
    PayoutAccountFrozen,
    PayoutAccountRevoked,
    PayoutPasswordLocked,
    WrongPassword,
)
from participants import otp
from participants.models import Participant, ParticipantEvent
from participants.services import record_event
from prakerja import sms
from prakerja.jobs import enqueue_on_commit

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- payout account -------------------------------------------------------------------------------


def ensure_account_may_change(*, participant: Participant) -> None:
    """Raise :class:`PayoutAccountRevoked` or :class:`PayoutAccountFrozen` when the payout
    account may not change: nothing is paid to a revoked person, and a frozen card is under a
    fraud check, whose outcome a new destination for the money must not anticipate."""
    if participant.status == Participant.Status.REVOKED:
        raise PayoutAccountRevoked()
    if participant.status == Participant.Status.FROZEN:
        raise PayoutAccountFrozen()


def _check_password(*, participant: Participant, password: str, now: dt.datetime) -> None:
    """The account password, with at most ``PAYOUT_PASSWORD_MAX_FAILURES`` wrong ones per
    ``PAYOUT_PASSWORD_WINDOW_SECONDS``. Each wrong one is an audit row (someone may be trying
    to redirect the money), and those rows are the count: it holds across web hosts and
    through a Redis outage."""
    window = dt.timedelta(seconds=settings.PAYOUT_PASSWORD_WINDOW_SECONDS)
    failures = list(
        ParticipantEvent.objects.filter(
            participant=participant,
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="account_password_wrong",
            created_at__gt=now - window,
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)[: settings.PAYOUT_PASSWORD_MAX_FAILURES]
    )
    if len(failures) >= settings.PAYOUT_PASSWORD_MAX_FAILURES:
        raise PayoutPasswordLocked(seconds_left=int((failures[0] + window - now).total_seconds()))
    if not participant.user.check_password(password):
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="account_password_wrong",
            actor=participant.user,
            now=now,
        )
        raise WrongPassword()


def _clean_number(kind: str, number: str, participant: Participant) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    if kind == PayoutAccount.Kind.BNI:
        if len(digits) != 10:
            raise InvalidAccountNumber()
        return digits
    # E-wallets are registered to the participant's own phone (docs/program.md section 7).
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
    number, stores the pending change and sends a 6-digit OTP by SMS to the registered phone
    (the OTP's lifecycle and rate limits: ``participants.otp``).

    Where the gateway offers it, the account is checked first (the holder name against the
    participant's name, and that the account can receive money): a definite refusal stops the
    change before any OTP is sent; no answer leaves the check to the first payout.

    Raises :class:`PayoutAccountRevoked`, :class:`PayoutAccountFrozen`,
    :class:`PayoutPasswordLocked`, :class:`WrongPassword`, :class:`InvalidAccountNumber`,
    :class:`EwalletNotOwnPhone`, :class:`AccountCheckFailed`, :class:`OtpRateLimited`.
    """
    now = now or timezone.now()
    ensure_account_may_change(participant=participant)
    _check_password(participant=participant, password=password, now=now)
    clean = _clean_number(kind, number, participant)
    _check_holder(participant, kind=kind, number=clean, holder_name=holder_name)
    change = PayoutAccountChange(
        participant=participant,
        kind=kind,
        number=clean,
        holder_name=" ".join(holder_name.split()),
    )
    with transaction.atomic():
        code = otp.issue(change, now=now)
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


def _check_holder(participant: Participant, *, kind: str, number: str, holder_name: str) -> None:
    outcome = payouts.get_backend().check_holder(
        payouts.AccountCheck(
            kind=kind,
            number=number,
            holder_name=holder_name,
            expected_name=participant.user.full_name,
        )
    )
    if outcome.status != payouts.FAILED:
        return
    reason = (
        outcome.reason_code if outcome.reason_code in Reason.values else Reason.ACCOUNT_NOT_FOUND
    )
    raise AccountCheckFailed(reason_code=reason, message=str(Reason(reason).label))


def confirm_payout_account_change(
    *, participant: Participant, change_id, code: str, now: dt.datetime | None = None
) -> PayoutAccount:
    """Apply a pending account change once its OTP is right and in time. The account's
    validation is reset, the change is audited, and installments that failed because of the
    old account are scheduled again at once (the retry is automatic).

    The attempt is counted by ``participants.otp.verify`` before this service opens its
    transaction, so a wrong code stays counted.

    Raises :class:`PayoutAccountRevoked`, :class:`PayoutAccountFrozen` (the status may have
    changed since the code was sent), :class:`OtpInvalid`, :class:`OtpExpired` (also for a change
    already applied), :class:`OtpLocked`.
    """
    now = now or timezone.now()
    ensure_account_may_change(participant=participant)
    pending = PayoutAccountChange.objects.filter(participant=participant, confirmed_at__isnull=True)
    change = otp.verify(challenges=pending, pk=change_id, code=code, now=now)
    with transaction.atomic():
        if not pending.filter(pk=change.pk).update(confirmed_at=now):
            raise OtpExpired()  # a concurrent request applied it first
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
        if _requeue_account_failures(Installment.objects.filter(participant=participant), now=now):
            enqueue_on_commit("incentives.tasks.disburse_for_participant", participant.pk)
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
