"""The staff second factor as the admin shows it: django-otp's devices under Indonesian names.

Proxies only (no table of their own): django-otp keeps the rows and checks the tokens; the admin
(``participants.admin.staff_otp``) lists and sets them up through these names.
"""

from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffAuthenticator(TOTPDevice):
    """A staff member's authenticator app (TOTP, RFC 6238)."""

    class Meta:
        proxy = True
        verbose_name = _("autentikator staf")
        verbose_name_plural = _("autentikator staf")


class StaffRecoveryCodes(StaticDevice):
    """A staff member's one-time recovery codes, used when the phone is lost."""

    class Meta:
        proxy = True
        verbose_name = _("kode pemulihan staf")
        verbose_name_plural = _("kode pemulihan staf")
