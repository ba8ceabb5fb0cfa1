"""Storefront forms. Each carries a fresh ``idem`` token, made when the form is shown, which
becomes the request's Idempotency-Key: submitting the same form twice replays the first answer."""

import secrets

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

_TOKEN = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("Formulir tidak valid; muat ulang halaman."))


def new_token() -> str:
    return secrets.token_urlsafe(18)


class IdempotentForm(forms.Form):
    idem = forms.CharField(widget=forms.HiddenInput, validators=[_TOKEN])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idem", new_token())


class CardForm(IdempotentForm):
    order = forms.CharField(widget=forms.HiddenInput, validators=[_TOKEN])
    card_number = forms.CharField(
        label=_("Nomor Kartu Prakerja (16 digit)"),
        min_length=16,
        max_length=19,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "5890…"}
        ),
        error_messages={
            "required": _("Masukkan nomor Kartu Prakerja."),
            "min_length": _("Nomor Kartu Prakerja terdiri dari 16 angka."),
            "max_length": _("Nomor Kartu Prakerja terdiri dari 16 angka."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("order", new_token())

    def clean_card_number(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["card_number"] if not ch.isspace())
        if len(digits) != 16 or not digits.isdigit():
            raise forms.ValidationError(_("Nomor Kartu Prakerja terdiri dari 16 angka."))
        return digits


class OtpForm(IdempotentForm):
    otp = forms.RegexField(
        label=_("Kode OTP (6 digit dari SMS)"),
        regex=r"^[0-9]{6}$",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={
            "required": _("Masukkan kode OTP dari SMS."),
            "invalid": _("Kode OTP terdiri dari 6 angka."),
        },
    )


class ActionForm(IdempotentForm):
    """Redeem: nothing to type but the token."""


class PretestForm(IdempotentForm):
    score = forms.IntegerField(label=_("Nilai pre-test (0-100)"), min_value=0, max_value=100)


class CompletionForm(IdempotentForm):
    score = forms.IntegerField(label=_("Nilai akhir (0-100)"), min_value=0, max_value=100)
