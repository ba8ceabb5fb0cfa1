"""The admin site with a second factor: django-otp's OTPAdminSite, with a login form that finds
the device from the token itself (six digits: the authenticator app; anything else: a recovery
code), so staff type a password and one code on one page."""

from django.contrib.admin import ModelAdmin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from participants.admin.base import PersonalDataAdminMixin


class StaffLoginForm(OTPAdminAuthenticationForm):
    # django-otp's messages are English only.
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("Ketik kode autentikator atau kode pemulihan."),
        "invalid_token": _("Kode salah. Periksa lalu coba lagi."),
        "n_failed_attempts": _(
            "Terlalu banyak kode salah (%(failure_count)d kali). Tunggu sebentar, lalu coba lagi."
        ),
        "verification_not_allowed": _("Verifikasi kode sedang dinonaktifkan."),
        "device_required": _("Pilih perangkat."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].label = _("Kode autentikator (6 digit) atau kode pemulihan")
        self.fields["otp_token"].widget.attrs.update(autocomplete="one-time-code")

    def _chosen_device(self, user):
        # django-otp (>= 1.7) wants the device chosen explicitly, so that trying every device
        # does not count failures against the ones not used; the token's shape tells which.
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        kind = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        return kind.objects.filter(user=user, confirmed=True).first()


class StaffAdminSite(OTPAdminSite):
    """Every admin page (the reports under /admin/laporan/ too, through ``admin_view``) needs a
    session verified by a TOTP token or a recovery code.

    It is the default admin site (``prakerja.apps.StaffAdminConfig``), so every model admin,
    ours and third parties', is registered here, and each is given the visibility policy of
    personal data (``participants.admin.base.PersonalDataAdminMixin``): no list can be narrowed,
    sorted or searched by a field the staff member may not see."""

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"
    site_header = _("Administrasi Prakerja")
    site_title = _("Prakerja")
    index_title = _("Pengelolaan program")

    def __init__(self, name="admin"):
        super().__init__(name)

    def get_urls(self):
        from participants.admin.staff_otp import recovery_codes_view

        return [
            path(
                "kode-pemulihan/",
                self.admin_view(recovery_codes_view),
                name="staff_recovery_codes",
            ),
            *super().get_urls(),
        ]

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, PersonalDataAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (PersonalDataAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
