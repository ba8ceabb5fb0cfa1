"""Domain errors of the purchase path. Each has a stable ``code`` (docs/partner-api.md)
and an Indonesian message the platform can show to the participant as is.

The OTP errors are ``participants.otp``'s, shared by every OTP use. The card and balance errors
raised by ``participants.services.debit_for_purchase`` (``insufficient_balance``,
``card_revoked``, ``card_frozen``, ``card_not_active``, ``balance_expired``) are that module's
classes; they are re-exported here so callers import every purchase error from one place.
"""

from django.utils.translation import gettext_lazy as _

from participants.models import DomainError
from participants.otp import OtpExpired, OtpInvalid, OtpLocked, OtpRateLimited
from participants.services import (
    BalanceExpired,
    CardFrozen,
    CardNotActive,
    CardRevoked,
    DeadlinePassed,
    InsufficientBalance,
)

__all__ = [
    "BalanceExpired",
    "CardFrozen",
    "CardNotActive",
    "CardNotFound",
    "CardRevoked",
    "DeadlinePassed",
    "DomainError",
    "DuplicatePartnerOrder",
    "FirstTrainingNotCompleted",
    "IdempotencyKeyReused",
    "InsufficientBalance",
    "InvalidRequest",
    "OfferingNotFound",
    "OtpExpired",
    "OtpInvalid",
    "OtpLocked",
    "OtpRateLimited",
    "PaymentNotFound",
    "PaymentNotPending",
    "PretestMissing",
    "ReviewAlreadySubmitted",
    "TrainingNotCompleted",
    "VoucherAlreadyCompleted",
    "VoucherAlreadyRedeemed",
    "VoucherNotFound",
    "VoucherNotRedeemed",
    "VoucherWrongProvider",
]


class CardNotFound(DomainError):
    code = "card_not_found"
    message = _("Nomor Kartu Prakerja tidak ditemukan. Periksa kembali 16 digit nomor kartu Anda.")


class OfferingNotFound(DomainError):
    code = "offering_not_found"
    message = _("Pelatihan tidak ditemukan atau tidak dijual di platform ini.")


class FirstTrainingNotCompleted(DomainError):
    code = "first_training_not_completed"
    message = _(
        "Selesaikan pelatihan yang sudah Anda beli terlebih dahulu sebelum membeli pelatihan "
        "berikutnya."
    )


class DuplicatePartnerOrder(DomainError):
    code = "duplicate_partner_order"
    message = _("Nomor pesanan (partner_order_id) ini sudah dipakai untuk pembayaran lain.")


class PaymentNotFound(DomainError):
    code = "payment_not_found"
    message = _("Pembayaran tidak ditemukan.")


class PaymentNotPending(DomainError):
    code = "payment_not_pending"
    message = _("Pembayaran ini tidak sedang menunggu OTP (sudah dibayar atau dibatalkan).")


class VoucherNotFound(DomainError):
    code = "voucher_not_found"
    message = _("Kode voucher tidak ditemukan.")


class VoucherAlreadyRedeemed(DomainError):
    code = "voucher_already_redeemed"
    message = _("Kode voucher ini sudah pernah digunakan.")


class VoucherWrongProvider(DomainError):
    code = "voucher_wrong_provider"
    message = _("Kode voucher ini untuk lembaga pelatihan lain.")


class VoucherNotRedeemed(DomainError):
    code = "voucher_not_redeemed"
    message = _("Voucher belum ditukarkan di lembaga pelatihan.")


class VoucherAlreadyCompleted(DomainError):
    code = "voucher_already_completed"
    message = _("Penyelesaian pelatihan untuk voucher ini sudah dilaporkan.")


class PretestMissing(DomainError):
    code = "pretest_missing"
    message = _("Nilai pre-test belum dilaporkan untuk voucher ini.")


class TrainingNotCompleted(DomainError):
    code = "training_not_completed"
    message = _("Ulasan hanya dapat diberikan setelah pelatihan selesai.")


class ReviewAlreadySubmitted(DomainError):
    code = "review_already_submitted"
    message = _("Ulasan untuk pelatihan ini sudah diberikan.")


class InvalidRequest(DomainError):
    code = "invalid_request"
    message = _("Permintaan tidak valid.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = _("Idempotency-Key ini sudah dipakai untuk permintaan dengan isi yang berbeda.")
