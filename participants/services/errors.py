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


class CardNotActive(DomainError):
    code = "card_not_active"
    message = _("Kartu Prakerja belum aktif. Tonton ketiga video pengenalan terlebih dahulu.")


class CardFrozen(CardNotActive):
    # The partner API keeps the contract's code (card_not_active); people read why.
    message = _(
        "Kartu Prakerja ini sedang dibekukan sementara oleh petugas; pembelian tidak dapat "
        "dilakukan sampai pemeriksaan selesai."
    )


class BalanceExpired(DomainError):
    code = "balance_expired"
    message = _("Saldo pelatihan sudah kedaluwarsa.")


class DeadlinePassed(DomainError):
    code = "card_revoked"
    message = _("Batas waktu pembelian pelatihan pertama telah lewat; kepesertaan dicabut.")


class AlreadyBlacklisted(DomainError):
    code = "already_blacklisted"
    message = _("NIK ini sudah ada di daftar hitam.")
