"""The payout account: a change confirmed by OTP, and re-queuing installments it unblocks."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _t

from incentives.models import (
    ACCOUNT_REASONS,
    Installment,
    PayoutAccount,
    PayoutAccountChange,
    PayoutRequest,
)
from incentives.services.errors import (
    EwalletNotOwnPhone,
    InvalidAccountNumber,
    OtpExpired,
    OtpInvalid,
    OtpLocked,
    WrongPassword,
)
from participants import otp, sms
from participants.models import Participant, ParticipantEvent
from participants.services import record_event

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


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
