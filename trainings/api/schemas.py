"""Request and response bodies of Partner API v1 (docs/partner-api.md)."""

import datetime as dt
import re
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

# C0 control characters other than tab and line breaks, and DEL: never part of a code, an order
# number or a review, and a NUL cannot even be stored in PostgreSQL (it would be a 500).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]


class ErrorDetail(Schema):
    code: str = Field(description="Kode stabil, misalnya `card_not_found`.")
    message: str = Field(description="Pesan dalam Bahasa Indonesia untuk peserta.")


class Error(Schema):
    error: ErrorDetail


class OtpErrorDetail(ErrorDetail):
    attempts_left: int = Field(ge=0, description="Sisa percobaan OTP sebelum pembayaran dikunci.")


class OtpError(Schema):
    error: OtpErrorDetail


class PaymentIn(Schema):
    card_number: Text = Field(
        min_length=1, max_length=32, description="Nomor Kartu Prakerja, 16 digit."
    )
    offering_code: Text = Field(min_length=1, max_length=64)
    partner_order_id: Text = Field(
        min_length=1, max_length=100, description="Nomor pesanan di platform, unik per platform."
    )


class PaymentOut(Schema):
    payment_id: str
    status: Literal["otp_sent"]
    amount_idr: int
    otp_expires_at: dt.datetime
    partner_order_id: str
    offering_code: str


class ConfirmIn(Schema):
    otp: str = Field(pattern=r"^[0-9]{6}$", description="6 digit dari SMS peserta.")


class ConfirmOut(Schema):
    payment_id: str
    status: Literal["paid"]
    voucher_code: str
    amount_idr: int
    balance_idr: int = Field(description="Sisa saldo pelatihan setelah pembelian.")


class OfferingOut(Schema):
    code: str
    title: str
    provider_code: str
    provider_name: str
    price_idr: int
    url: str = Field(description="Tautan pelatihan; dapat relatif terhadap alamat platform.")


class OfferingsOut(Schema):
    offerings: list[OfferingOut]


class TrainingRef(Schema):
    title: str
    category: str
    mode: str
    duration_hours: int


class ProviderRef(Schema):
    code: str
    name: str


class VoucherOut(Schema):
    code: str
    status: Literal["issued", "redeemed", "completed", "cancelled"]
    training: TrainingRef
    provider: ProviderRef
    payment_id: str
    issued_at: dt.datetime
    redeemed_at: dt.datetime | None
    pretest_score: int | None
    completed_at: dt.datetime | None
    certificate_number: str
    certificate_url: str
    score: int | None
    rating: int | None
    review: str


class RedeemIn(Schema):
    provider_code: Text = Field(min_length=1, max_length=32)


class PretestIn(Schema):
    score: int = Field(ge=0, le=100)


class CompletionIn(Schema):
    certificate_number: Text = Field(min_length=1, max_length=100)
    certificate_url: Text = Field(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")
    completed_at: AwareDatetime = Field(description="ISO-8601 dengan zona waktu.")
    score: int = Field(ge=0, le=100)


class ReviewIn(Schema):
    rating: int = Field(ge=1, le=5)
    review: Text = Field(min_length=1, max_length=2000, pattern=r"\S")
