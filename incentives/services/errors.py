"""Domain errors of the incentives app, each with a stable code and an Indonesian message."""

import logging

from django.utils.translation import gettext_lazy as _

from incentives.models import (
    Installment,
    PayoutRequest,
)
from participants.models import DomainError

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
