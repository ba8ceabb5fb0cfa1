"""Staff views of the catalog, payments and vouchers."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.admin.base import ReadOnlyMixin
from participants.cards import deadlines
from participants.models import DomainError, Province
from trainings import waves
from trainings.models import Offering, Platform, Provider, RecoveredQuota, SweepRun, Training


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "provider", "price_idr", "mode"]
    list_filter = ["category", "mode"]
    search_fields = ["title"]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["code", "training", "platform", "price_idr", "is_active"]
    list_filter = ["platform"]
    search_fields = ["code", "training__title"]


# --- the deadline sweep and the recovered quota pool ---------------------------------------------


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only record of each sweep: cut-off, start, finish, counts."""

    list_display = ["cutoff", "started_at", "finished_at", "revoked", "forfeited_idr", "batches"]
    date_hierarchy = "cutoff"


class AdditionalWaveForm(forms.Form):
    number = forms.IntegerField(label=_("Nomor gelombang"), min_value=1)
    program_year = forms.IntegerField(
        label=_("Tahun program"),
        min_value=2020,
        help_text=_("Tahun anggaran gelombang: saldo pesertanya berlaku sampai 15 Desember."),
    )
    opens_at = forms.DateTimeField(
        label=_("Dibuka (WIB)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("Ditutup (WIB)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    announces_at = forms.DateTimeField(
        label=_("Pengumuman (WIB)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = deadlines.program_year_of(timezone.now())
        self.fields["program_year"].initial = year
        self.fields["announces_at"].help_text = deadlines.last_announcement_help(year)


@admin.register(RecoveredQuota)
class RecoveredQuotaAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The pool of places freed by revocation. Read-only; places leave it only through
    ``trainings.waves.open_additional_wave`` (the "Buka gelombang tambahan" form)."""

    list_display = ["source_wave", "province", "recovered", "allocated", "available"]
    list_filter = ["source_wave"]
    list_select_related = ["source_wave", "province"]

    @admin.display(description=_("tersedia"))
    def available(self, obj) -> int:
        return obj.recovered - obj.allocated

    def has_open_wave_permission(self, request) -> bool:
        return request.user.has_perm("participants.add_wave")

    def get_urls(self):
        view = self.admin_site.admin_view(self.open_wave_view)
        return [
            path("open-wave/", view, name="trainings_recoveredquota_open_wave"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_open_wave": self.has_open_wave_permission(request),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @staticmethod
    def _available_by_province_name() -> list[tuple[str, int]]:
        """The pool per province, named (staff read "Jawa Barat", not "32"), in code order."""
        available = waves.available_by_province()
        names = Province.objects.in_bulk(list(available))
        return [
            (names[code].name if code in names else code, places)
            for code, places in sorted(available.items())
        ]

    def open_wave_view(self, request):
        if not self.has_open_wave_permission(request):
            raise PermissionDenied
        form = AdditionalWaveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                wave = waves.open_additional_wave(**form.cleaned_data, actor=request.user)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                self.message_user(
                    request,
                    _("%(wave)s dibuka dengan %(places)d tempat dari kuota yang dipulihkan.")
                    % {"wave": wave, "places": wave.quota_total},
                    messages.SUCCESS,
                )
                return redirect("admin:participants_wave_change", wave.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Buka gelombang tambahan"),
            "form": form,
            "available": self._available_by_province_name(),
        }
        return TemplateResponse(request, "admin/trainings/recoveredquota/open_wave.html", context)
