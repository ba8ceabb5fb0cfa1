"""The complaint form: input validation and Indonesian messages, no business rules."""

import re

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from complaints.models import SOURCE_CHOICES, Complaint
from prakerja import uploads
from prakerja.sms import normalize_phone

C = Complaint.Category
S = Complaint.Subcategory

# One select with option groups gives category and sub-category without JavaScript.
TOPIC_CHOICES = [
    ("", _("Pilih kategori")),
    (
        C.REGISTRATION.label,
        [
            (f"{C.REGISTRATION}:{S.ACCOUNT_FAILED}", _("Registrasi: gagal buat akun")),
            (f"{C.REGISTRATION}:{S.KTP_UPLOAD_FAILED}", _("Registrasi: gagal unggah KTP")),
            (f"{C.REGISTRATION}:{S.NIK_REGISTERED}", _("Registrasi: NIK sudah terdaftar")),
            (f"{C.REGISTRATION}:{S.OTHER}", _("Registrasi: lainnya")),
        ],
    ),
    (
        C.ELIGIBILITY.label,
        [
            (f"{C.ELIGIBILITY}:{code}", _("Keberatan: %(list)s") % {"list": label})
            for code, label in SOURCE_CHOICES
        ],
    ),
    (f"{C.PURCHASE}:", C.PURCHASE.label),
    (f"{C.INCENTIVE}:", C.INCENTIVE.label),
    (f"{C.OTHER}:", C.OTHER.label),
]


def is_topic(value: str) -> bool:
    """Whether ``value`` is one of the form's "category:subcategory" choices."""
    for key, label in TOPIC_CHOICES:
        options = label if isinstance(label, list) else [(key, label)]
        if value and any(value == option for option, _label in options):
            return True
    return False


class ComplaintForm(forms.Form):
    name = forms.CharField(
        label=_("Nama lengkap"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Nomor HP"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Contoh: 081234567890"),
    )
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Nomor tiket dan balasan petugas dikirim ke email ini."),
    )
    topic = forms.ChoiceField(label=_("Kategori"), choices=TOPIC_CHOICES)
    description = forms.CharField(
        label=_("Uraian pengaduan"),
        min_length=20,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ceritakan apa yang terjadi, kapan, dan langkah yang sudah Anda coba."),
    )
    screenshot = forms.FileField(
        label=_("Tangkapan layar (opsional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,.png,.jpg,.jpeg"}),
    )
    consent = forms.BooleanField(
        label=_(
            "Saya setuju data di formulir ini diproses untuk menangani pengaduan saya, "
            "dan menyatakan isinya benar."
        ),
        error_messages={"required": _("Persetujuan wajib dicentang.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["screenshot"].help_text = _("Gambar PNG atau JPEG, maksimal %(limit)s.") % {
            "limit": filesizeformat(settings.COMPLAINT_ATTACHMENT_MAX_BYTES)
        }

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if not re.fullmatch(r"\+628[0-9]{7,12}", phone):
            raise forms.ValidationError(_("Nomor HP tidak valid. Contoh: 081234567890"))
        return phone

    def clean_screenshot(self):
        upload = self.cleaned_data.get("screenshot")
        if upload:
            self.attachment_type = uploads.check(upload, uploads.SCREENSHOT).content_type
        return upload

    def topic_parts(self) -> tuple[str, str]:
        category, _sep, subcategory = self.cleaned_data["topic"].partition(":")
        return category, subcategory
