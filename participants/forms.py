"""Participant forms: validation and Indonesian messages, no business rules."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.forms.boundfield import BoundField
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from participants.models import District, Participant, Province, Regency, User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Email atau kata sandi salah."),
        "inactive": _("Akun ini tidak aktif."),
    }


class _BlankRenderedOnce(BoundField):
    """A field of a form nobody has filled in yet renders the same HTML for everyone (no value,
    no error): it is rendered once per process and language, then reused. Registration's form
    is the page everyone opens on launch day, and its four inputs were a third of its CPU."""

    _rendered: dict = {}

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        form = self.form
        if form.is_bound or form.initial or widget or attrs or only_initial or self.field.initial:
            return super().as_widget(widget, attrs, only_initial)
        key = (type(form), form.prefix, form.auto_id, self.name, translation.get_language())
        html = self._rendered.get(key)
        if html is None:
            html = self._rendered[key] = super().as_widget()
        return html


class RegisterForm(forms.Form):
    bound_field_class = _BlankRenderedOnce

    full_name = forms.CharField(
        label=_("Nama lengkap (sesuai KTP)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Kata sandi"),
        help_text=_("Minimal 8 karakter, bukan hanya angka."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Ulangi kata sandi"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("Kata sandi tidak sama."))
        if password:
            user = User(email=data.get("email", ""), full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ResendVerificationForm(forms.Form):
    pass


class IdentityForm(forms.Form):
    """Identity with an address chosen province -> regency/city -> district. Each select lists
    only the children of the choice above it, so the page works without JavaScript: choose,
    press "Tampilkan pilihan wilayah", continue."""

    full_name = forms.CharField(
        label=_("Nama lengkap (sesuai KTP)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Dicocokkan dengan data Dukcapil bersama NIK, No. KK, dan tanggal lahir."),
    )
    nik = forms.CharField(
        label=_("NIK (16 digit, sesuai KTP)"),
        min_length=16,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    kk = forms.CharField(
        label=_("No. KK (16 digit)"),
        min_length=16,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Tanggal lahir"), widget=forms.DateInput(attrs={"type": "date"})
    )
    gender = forms.ChoiceField(
        label=_("Jenis kelamin"), choices=[("", _("-- Pilih --")), *Participant.Gender.choices]
    )
    province = forms.ModelChoiceField(
        label=_("Provinsi"), queryset=Province.objects.all(), empty_label=_("-- Pilih --")
    )
    regency = forms.ModelChoiceField(
        label=_("Kabupaten/kota"), queryset=Regency.objects.none(), empty_label=_("-- Pilih --")
    )
    district = forms.ModelChoiceField(
        label=_("Kecamatan"), queryset=District.objects.none(), empty_label=_("-- Pilih --")
    )
    address = forms.CharField(label=_("Alamat (jalan, RT/RW, desa/kelurahan)"), max_length=255)
    education = forms.ChoiceField(
        label=_("Pendidikan terakhir"), choices=Participant.Education.choices
    )
    employment_status = forms.ChoiceField(
        label=_("Status pekerjaan"), choices=Participant.Employment.choices
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        province = source.get("province") or ""
        regency = source.get("regency") or ""
        self.fields["province"].widget.attrs["data-refresh"] = "1"
        self.fields["regency"].widget.attrs["data-refresh"] = "1"
        if province:
            self.fields["regency"].queryset = Regency.objects.filter(province_id=province)
        if regency and regency[:2] == province:
            self.fields["district"].queryset = District.objects.filter(regency_id=regency)
        for name in ("nik", "kk"):
            self.fields[name].error_messages["min_length"] = _("Harus 16 digit angka.")
            self.fields[name].error_messages["max_length"] = _("Harus 16 digit angka.")

    def clean(self):
        data = super().clean()
        regency, district = data.get("regency"), data.get("district")
        if regency and district and district.regency_id != regency.pk:
            self.add_error("district", _("Kecamatan tidak berada di kabupaten/kota ini."))
        return data


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Nomor HP"),
        max_length=20,
        help_text=_("Nomor seluler aktif, mis. 081234567890. Kode OTP dikirim lewat SMS."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


class OtpForm(forms.Form):
    code = forms.RegexField(
        label=_("Kode OTP (6 digit)"),
        regex=r"^\s*[0-9]{6}\s*$",
        error_messages={"invalid": _("Kode OTP terdiri dari 6 digit angka.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


YES_NO = [("1", _("Ya")), ("0", _("Tidak"))]


class DeclarationsForm(forms.Form):
    is_student = forms.TypedChoiceField(
        label=_("Apakah Anda sedang menempuh pendidikan formal (pelajar/mahasiswa)?"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    is_civil_servant = forms.TypedChoiceField(
        label=_(
            "Apakah Anda ASN, anggota TNI/Polri, kepala/perangkat desa, anggota DPR/DPRD, atau "
            "direksi/komisaris/dewan pengawas BUMN/BUMD?"
        ),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    receives_social_aid = forms.TypedChoiceField(
        label=_("Apakah Anda sedang menerima bantuan sosial lain dari pemerintah?"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    is_unemployed = forms.TypedChoiceField(
        label=_("Apakah Anda saat ini tidak bekerja atau sedang mencari kerja?"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    truthful = forms.BooleanField(
        label=_(
            "Saya menyatakan data yang saya isi benar. Data yang tidak benar dapat membatalkan "
            "kepesertaan."
        ),
        error_messages={"required": _("Centang pernyataan ini untuk melanjutkan.")},
    )
