"""One-time passwords sent by SMS: one lifecycle and one error vocabulary for every use.

The uses are phone verification (``participants.models.PhoneOTP``), payment confirmation
(``trainings.models.Payment``) and the payout-account change
(``incentives.models.PayoutAccountChange``); each model inherits
:class:`participants.models.OtpChallenge`, and its service calls :func:`issue` and :func:`verify`.

The rules (docs/partner-api.md: 6 digits, valid 5 minutes, locked after 5 wrong attempts):

- Codes come from ``secrets``. Only an HMAC of the code is stored, bound to the model's
  ``OTP_PURPOSE`` and the row's id, and it is compared in constant time.
- A code is valid ``OTP_TTL_SECONDS``.
- The code is compared under the challenge's row lock and a wrong one counted before the lock
  is released, so even parallel guesses compare at most ``OTP_MAX_ATTEMPTS`` wrong codes.
  :func:`verify` commits the count before it raises: a wrong attempt stays counted after the
  error response (the payout-account change once counted inside the transaction that raised,
  and the count was lost).
- After ``OTP_MAX_ATTEMPTS`` counted attempts the challenge is locked, even for the right code.
- New challenges are rate limited per person and per use (each model counts its own rows, so
  phone codes never hold back a payment): ``OTP_RESEND_COOLDOWN_SECONDS`` between two of the
  same use (where the model's ``OTP_RESEND_COOLDOWN`` says so) and at most ``OTP_MAX_PER_WINDOW``
  of one use within ``OTP_WINDOW_SECONDS``.
"""

import datetime as dt
import hashlib
import hmac
import math
import secrets
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.models import DomainError, OtpChallenge, Participant
from prakerja.metrics import instruments

__all__ = [
    "OtpExpired",
    "OtpInvalid",
    "OtpLocked",
    "OtpRateLimited",
    "code_matches",
    "generate_code",
    "issue",
    "spent",
    "verify",
    "verify_locked",
]


# --- errors ---------------------------------------------------------------------------------------


class OtpInvalid(DomainError):
    """A wrong code; ``context["attempts_left"]`` says how many may still be tried."""

    code = "otp_invalid"
    message = gettext_lazy("Kode OTP salah.")

    def __init__(self, *, attempts_left: int):
        if attempts_left > 0:
            message = _("Kode OTP salah. Sisa percobaan: %(n)d.") % {"n": attempts_left}
        else:
            message = _("Kode OTP salah dan kini dikunci. Minta kode baru.")
        super().__init__(message, attempts_left=attempts_left)


class OtpExpired(DomainError):
    code = "otp_expired"
    message = gettext_lazy("Kode OTP sudah kedaluwarsa. Minta kode baru.")


class OtpLocked(DomainError):
    code = "otp_locked"
    message = gettext_lazy("Kode OTP sudah salah terlalu sering dan dikunci. Minta kode baru.")


class OtpRateLimited(DomainError):
    """Too many new codes for this person; ``context["seconds_left"]`` until one may be asked."""

    code = "too_many_otp_requests"
    message = gettext_lazy("Terlalu banyak permintaan kode OTP. Coba lagi beberapa menit lagi.")

    def __init__(self, *, seconds_left: int):
        message = _("Terlalu banyak permintaan kode OTP. Coba lagi dalam %(s)d detik.") % {
            "s": seconds_left
        }
        super().__init__(message, seconds_left=seconds_left)


# --- codes ----------------------------------------------------------------------------------------


def generate_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def _hash(code: str, *, purpose: str) -> str:
    key = hashlib.sha256(f"otp:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _purpose(challenge: OtpChallenge) -> str:
    return f"{challenge.OTP_PURPOSE}:{challenge.pk}"


def code_matches(challenge: OtpChallenge, code: str) -> bool:
    """Whether ``code`` is the challenge's code (constant time; no attempt is counted)."""
    return hmac.compare_digest(
        _hash(str(code).strip(), purpose=_purpose(challenge)), challenge.otp_hash
    )


# --- lifecycle ------------------------------------------------------------------------------------


def issue(challenge: OtpChallenge, *, now: dt.datetime) -> str:
    """Give the unsaved ``challenge`` a fresh code and save it; return the code (to send by SMS).

    Runs in a transaction (the caller's, if any) that holds the person's row lock, so concurrent
    requests see each other's challenges when the rate is checked. Raises :class:`OtpRateLimited`.
    """
    model = type(challenge)
    # No savepoint, and nothing raised inside the block: a caller's transaction stays usable.
    with transaction.atomic(savepoint=False):
        # The lock only: the id, not the person's 40 columns (built and read for nothing).
        list(
            Participant.objects.select_for_update()
            .filter(pk=challenge.participant_id)
            .values_list("pk", flat=True)
        )
        earlier = model.objects.filter(participant_id=challenge.participant_id)
        wait = _rate_wait(earlier, model, now=now)
        if wait is None:
            code = generate_code()
            challenge.created_at = now
            challenge.otp_expires_at = now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS)
            challenge.otp_attempts = 0
            challenge.otp_hash = _hash(code, purpose=_purpose(challenge))
            challenge.save(force_insert=True)
    if wait is not None:
        instruments.count_otp(purpose=model.OTP_PURPOSE, event="rate_limited")
        raise OtpRateLimited(seconds_left=wait)
    # Counted when the challenge is committed: a caller's rollback sends no code.
    transaction.on_commit(
        partial(instruments.count_otp, purpose=model.OTP_PURPOSE, event="sent"), robust=True
    )
    return code


def _rate_wait(earlier: QuerySet, model: type[OtpChallenge], *, now: dt.datetime) -> int | None:
    """Seconds the person must wait before a new challenge, or None (one query; assumes the
    cooldown is shorter than the window)."""
    waits = []
    window = dt.timedelta(seconds=settings.OTP_WINDOW_SECONDS)
    recent = list(
        earlier.filter(created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: settings.OTP_MAX_PER_WINDOW]
    )
    if recent and model.OTP_RESEND_COOLDOWN:
        cooldown = dt.timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS)
        waits.append(recent[0] + cooldown - now)
    if len(recent) >= settings.OTP_MAX_PER_WINDOW:
        # The oldest of the newest allowed number must leave the window first.
        waits.append(recent[-1] + window - now)
    waits = [wait for wait in waits if wait > dt.timedelta(0)]
    return math.ceil(max(waits).total_seconds()) if waits else None


def spent(challenge: OtpChallenge, *, now: dt.datetime) -> DomainError | None:
    """Why ``challenge`` can no longer be answered (:class:`OtpLocked` after
    ``OTP_MAX_ATTEMPTS`` wrong codes, :class:`OtpExpired` past its time), or ``None``: pages
    stop offering the code form then, and say to ask for a new code."""
    if challenge.otp_attempts >= settings.OTP_MAX_ATTEMPTS:
        return OtpLocked()
    if now > challenge.otp_expires_at:
        return OtpExpired()
    return None


def verify(*, challenges: QuerySet, pk, code: str, now: dt.datetime) -> OtpChallenge:
    """Check ``code`` against the challenge ``pk`` among ``challenges`` (the caller's open ones,
    e.g. not yet used and of this person); return the challenge when the code is right.

    The challenge's row is locked while the code is compared and a wrong attempt counted, so
    parallel guesses are compared one after another and never more than ``OTP_MAX_ATTEMPTS``
    in all. The count is committed with this function's own transaction when it is called in
    autocommit mode (views, services that verify before opening their transaction); a caller
    inside a transaction must commit it when :class:`OtpInvalid` is raised (the partner API
    stores the error response in the same transaction). Consume the challenge afterwards with a
    conditional UPDATE on its open state.

    Raises :class:`OtpLocked` (``OTP_MAX_ATTEMPTS`` wrong codes, then even the right one is
    refused), :class:`OtpExpired` (too late, or no such open challenge), :class:`OtpInvalid`.
    """
    # No savepoint, and nothing raised inside the block: a caller's transaction stays usable.
    with transaction.atomic(savepoint=False):
        challenge = challenges.select_for_update().filter(pk=pk).first()
        error = _check(challenge, code=code, now=now)
    if error is not None:
        raise error
    return challenge


def _counted(challenge: OtpChallenge | None, error: DomainError | None) -> DomainError | None:
    """Count the outcome of one answered code by use (``prakerja.metrics``)."""
    if challenge is None:
        return error
    purpose = challenge.OTP_PURPOSE
    if error is None:
        instruments.count_otp(purpose=purpose, event="verified")
    elif isinstance(error, OtpInvalid):
        instruments.count_otp(purpose=purpose, event="failed")
        if error.context.get("attempts_left") == 0:
            instruments.count_otp(purpose=purpose, event="locked")
    elif isinstance(error, OtpExpired):
        instruments.count_otp(purpose=purpose, event="expired")
    return error


def verify_locked(challenge: OtpChallenge | None, *, code: str, now: dt.datetime) -> OtpChallenge:
    """:func:`verify` for a caller that has just read ``challenge`` (``None``: no open one) under
    its row lock, in a transaction it keeps open until it has used the result: the partner API's
    payment confirmation, which reads the payment in the statement that also locks its
    participant (``trainings.selectors.lock_pending_payment``). The same checks, the same count
    of a wrong attempt before the error, the same errors; the caller commits its transaction when
    :class:`OtpInvalid` is raised, so the attempt stays counted.
    """
    error = _check(challenge, code=code, now=now)
    if error is not None:
        raise error
    return challenge


def _check(challenge: OtpChallenge | None, *, code: str, now: dt.datetime) -> DomainError | None:
    """Compare ``code`` with the locked ``challenge``; count a wrong attempt before answering.
    Returns the error to raise (after the caller's block), or ``None`` for the right code."""
    if challenge is None:
        return OtpExpired()
    if (refused := spent(challenge, now=now)) is not None:
        return _counted(challenge, refused)
    if code_matches(challenge, code):
        return _counted(challenge, None)
    type(challenge).objects.filter(pk=challenge.pk).update(otp_attempts=F("otp_attempts") + 1)
    left = max(settings.OTP_MAX_ATTEMPTS - challenge.otp_attempts - 1, 0)
    return _counted(challenge, OtpInvalid(attempts_left=left))
