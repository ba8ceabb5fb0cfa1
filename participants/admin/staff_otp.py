"""The staff second factor in the admin, in Indonesian: authenticator devices with their QR code
page, the recovery codes' list, and the page where staff make new recovery codes (shown once).

django-otp's own admin pages are in English and need an image library for the QR code; they are
replaced here (``ParticipantsConfig.ready``). The QR code is an SVG drawn by segno.
"""

import base64
import logging

import segno
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from participants.admin.base import ReadOnlyMixin
from participants.models import StaffAuthenticator, StaffRecoveryCodes
from participants.staff_otp import RECOVERY_CODES, issue_recovery_codes

logger = logging.getLogger(__name__)


class StaffAuthenticatorForm(forms.ModelForm):
    class Meta:
        model = StaffAuthenticator
        fields = ["user", "name"]
        labels = {"user": _("Akun staf"), "name": _("Nama perangkat")}
        help_texts = {
            "user": _("Akun staf yang memakai aplikasi autentikator ini."),
            "name": _("Untuk membedakan perangkat, misalnya: authenticator."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].initial = "authenticator"


def grouped_secret(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, as authenticator apps take it typed by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class DeviceColumns:
    """The columns both kinds of staff device show."""

    @admin.display(description=_("akun staf"), ordering="user__email")
    def account(self, obj) -> str:
        return obj.user.email

    @admin.display(description=_("dibuat pada"), ordering="created_at")
    def created(self, obj):
        return obj.created_at or "-"

    @admin.display(description=_("terakhir dipakai"), ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at or "-"


class StaffAuthenticatorAdmin(DeviceColumns, admin.ModelAdmin):
    """A superuser gives a staff member a device; its page links to the QR code that the staff
    member scans with an authenticator app (the secret is shown beside it for typing)."""

    form = StaffAuthenticatorForm
    list_display = ["account", "device_name", "created", "last_used", "qr_link"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["account", "created", "last_used", "qr_link"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name"]
        return ["account", "name", "created", "last_used", "qr_link"]

    @admin.display(description=_("nama perangkat"), ordering="name")
    def device_name(self, obj) -> str:
        return obj.name

    @admin.display(description=_("kode QR"))
    def qr_link(self, obj) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:participants_staffauthenticator_qr", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Tampilkan kode QR"))

    def save_model(self, request, obj, form, change):
        obj.confirmed = True  # set up by a superuser; the staff member scans it next
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return redirect("admin:participants_staffauthenticator_change", obj.pk)

    def get_urls(self):
        page = self.admin_site.admin_view(self.qr_page)
        image = self.admin_site.admin_view(self.qr_image)
        return [
            path("<int:pk>/kode-qr/", page, name="participants_staffauthenticator_qr"),
            path("<int:pk>/kode-qr.svg", image, name="participants_staffauthenticator_qr_image"),
            *super().get_urls(),
        ]

    def _device(self, request, pk: int) -> StaffAuthenticator:
        device = get_object_or_404(StaffAuthenticator.objects.select_related("user"), pk=pk)
        # The QR code gives the secret away: only those who may change devices see it.
        if not self.has_change_permission(request, device):
            raise PermissionDenied
        return device

    def qr_page(self, request, pk: int) -> TemplateResponse:
        device = self._device(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Kode QR autentikator"),
            "device": device,
            "secret": grouped_secret(device),
            "image_url": reverse("admin:participants_staffauthenticator_qr_image", args=[pk]),
            "change_url": reverse("admin:participants_staffauthenticator_change", args=[pk]),
        }
        return TemplateResponse(request, "admin/participants/staffauthenticator/qr.html", context)

    def qr_image(self, request, pk: int) -> HttpResponse:
        device = self._device(request, pk)
        response = HttpResponse(content_type="image/svg+xml")
        segno.make(device.config_url, error="m").save(response, kind="svg", scale=6, border=4)
        return response


class StaffRecoveryCodesAdmin(DeviceColumns, ReadOnlyMixin, admin.ModelAdmin):
    """Who has recovery codes and how many are left; the codes themselves are never shown here
    (a staff member makes new ones on "Kode pemulihan", where they are shown once)."""

    list_display = ["account", "unused", "created", "last_used"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["account", "unused", "created", "last_used"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("token_set")

    @admin.display(description=_("kode belum dipakai"))
    def unused(self, obj) -> int:
        return len(obj.token_set.all())


def recovery_codes_view(request) -> TemplateResponse:
    """The signed-in staff member's recovery codes: how many are left, and a button that makes a
    new set (replacing the old one) and shows it this once."""
    codes = []
    if request.method == "POST":
        codes = issue_recovery_codes(user=request.user)
        logger.info("staff recovery codes issued", extra={"user": request.user.pk})
    device = StaticDevice.objects.filter(user=request.user, name="recovery").first()
    context = {
        **admin.site.each_context(request),
        "title": _("Kode pemulihan"),
        "codes": codes,
        "unused": device.token_set.count() if device else 0,
        "count": RECOVERY_CODES,
    }
    return TemplateResponse(request, "admin/participants/staff_recovery_codes.html", context)


def install() -> None:
    """Put these pages in place of django-otp's (called once, from ``ParticipantsConfig``)."""
    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
    admin.site.register(StaffAuthenticator, StaffAuthenticatorAdmin)
    admin.site.register(StaffRecoveryCodes, StaffRecoveryCodesAdmin)
