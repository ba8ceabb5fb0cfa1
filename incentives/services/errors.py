"""Domain errors of the incentives app, each with a stable code and an Indonesian message. The OTP
errors are ``participants.otp``'s, shared by every OTP use."""

from django.utils.translation import gettext_lazy as _

from participants.models import DomainError
from participants.otp import OtpExpired, OtpInvalid, OtpLocked, OtpRateLimited

__all__ = [
    "AccountCheckFailed",
    "CheckerIsMaker",
    "EwalletNotOwnPhone",
    "InvalidAccountNumber",
    "OtpExpired",
    "OtpInvalid",
    "OtpLocked",
    "OtpRateLimited",
    "PayoutAccountFrozen",
    "PayoutAccountRevoked",
    "PayoutPasswordLocked",
    "SurveyAlreadyCompleted",
    "SurveyNotOpen",
    "WrongPassword",
]


# --- errors ---------------------------------------------------------------------------------------


class WrongPassword(DomainError):
    code = "wrong_password"
    message = _("Kata sandi salah.")


class PayoutPasswordLocked(DomainError):
    code = "payout_password_locked"
    message = _("Terlalu banyak kata sandi salah. Perubahan rekening dikunci sementara.")


class PayoutAccountRevoked(DomainError):
    code = "payout_account_revoked"
    message = _("Kepesertaan Anda telah dicabut, sehingga rekening insentif tidak dapat diubah.")


class PayoutAccountFrozen(DomainError):
    code = "payout_account_frozen"
    message = _("Kartu Anda sedang dibekukan, sehingga rekening insentif tidak dapat diubah.")


class InvalidAccountNumber(DomainError):
    code = "invalid_account_number"
    message = _("Nomor rekening BNI harus 10 angka.")


class EwalletNotOwnPhone(DomainError):
    code = "ewallet_not_own_phone"
    message = _("Nomor e-wallet harus sama dengan nomor HP terdaftar Anda.")


class SurveyNotOpen(DomainError):
    code = "survey_not_open"
    message = _("Survei ini belum dapat diisi.")


class SurveyAlreadyCompleted(DomainError):
    code = "survey_already_completed"
    message = _("Survei ini sudah Anda isi.")


class CheckerIsMaker(DomainError):
    code = "checker_is_maker"
    message = _("Batch harus disetujui oleh petugas lain, bukan pembuatnya.")


class AccountCheckFailed(DomainError):
    """The gateway answered that this account cannot receive the payouts; ``code`` is its
    reason (``incentives.models.Reason``: ``name_mismatch``, ``account_closed``, ...)."""

    code = "account_not_found"
    message = _("Rekening tidak ditemukan")

    def __init__(self, *, reason_code: str, message: str):
        super().__init__(message, code=reason_code)
