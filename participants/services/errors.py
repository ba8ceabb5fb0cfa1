"""Domain errors raised by the participants services."""

from django.utils.translation import gettext_lazy as _

from participants.models import (
    DomainError,
)

LEGAL_BASIS_NO_FIRST_PURCHASE = "Permenko Perekonomian No. 11 Tahun 2020 Pasal 20 ayat (3)"


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    message = _("Saldo pelatihan tidak mencukupi untuk membeli pelatihan ini.")


class CardRevoked(DomainError):
    code = "card_revoked"
    message = _("Kepesertaan Kartu Prakerja ini telah dicabut.")


class CardFrozen(DomainError):
    code = "card_frozen"
    message = _(
        "Kartu Prakerja ini sedang dibekukan sementara untuk pemeriksaan. Kartu belum dapat "
        "dipakai membeli pelatihan."
    )


class CardNotActive(DomainError):
    code = "card_not_active"
    message = _("Kartu Prakerja belum aktif. Tonton ketiga video pengenalan terlebih dahulu.")


class BalanceExpired(DomainError):
    code = "balance_expired"
    message = _("Saldo pelatihan sudah kedaluwarsa.")


class DeadlinePassed(DomainError):
    code = "card_revoked"
    message = _("Batas waktu pembelian pelatihan pertama telah lewat; kepesertaan dicabut.")


class AlreadyBlacklisted(DomainError):
    code = "already_blacklisted"
    message = _("NIK ini sudah ada di daftar hitam.")


class ReasonRequired(DomainError):
    code = "reason_required"
    message = _("Alasan wajib diisi.")


class ParticipantReasonRequired(DomainError):
    code = "participant_reason_required"
    message = _("Alasan untuk peserta wajib diisi: kalimat ini dikirim kepada peserta.")
