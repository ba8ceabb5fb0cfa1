"""Staff pages of waves, their selection runs and applications."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from participants import deadlines
from participants.admin_base import ReadOnlyMixin
from participants.admin_selection import WaveStageMixin
from participants.models import (
    Application,
    DomainError,
    SelectionRun,
    Wave,
    WaveProvinceQuota,
)
from participants.selection import run_selection


class QuotaInline(admin.TabularInline):
    model = WaveProvinceQuota
    extra = 0


class SelectionRunInline(ReadOnlyMixin, admin.StackedInline):
    model = SelectionRun
    fields = [
        "seed",
        "started_at",
        "finished_at",
        "actor",
        "applicants",
        "eligible",
        "selected",
        "not_selected",
        "counts_by_reason",
    ]
    readonly_fields = fields
    extra = 0


# What a staff member who opens waves holds (README, "Back office"; the tests log in with exactly
# these): waves and their province quotas, and the recovered quota ("Kuota dipulihkan") from which
# an additional wave is opened (its form needs add_wave).
WAVE_OFFICER_PERMISSIONS = [
    "participants.view_wave",
    "participants.add_wave",
    "participants.change_wave",
    "participants.view_waveprovincequota",
    "participants.add_waveprovincequota",
    "participants.change_waveprovincequota",
    "trainings.view_recoveredquota",
]


class WaveAdminForm(forms.ModelForm):
    """The wave form refuses an announcement whose first-purchase window would end after the
    balance expiry (``deadlines.check_announcement``) and says which day is the last one."""

    class Meta:
        model = Wave
        fields = ["number", "opens_at", "closes_at", "announces_at", "quota_total", "is_additional"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "announces_at" in self.fields:  # absent on a view-only page
            year = deadlines.wib_date(timezone.now()).year
            self.fields["announces_at"].help_text = deadlines.last_announcement_help(year)

    def clean_announces_at(self):
        announces_at = self.cleaned_data["announces_at"]
        if self.instance.pk and "announces_at" not in self.changed_data:
            return announces_at  # an existing wave's other fields stay editable
        try:
            deadlines.check_announcement(announces_at)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None
        return announces_at


@admin.register(Wave)
class WaveAdmin(WaveStageMixin, admin.ModelAdmin):
    form = WaveAdminForm
    list_display = [
        "number",
        "opens_at",
        "closes_at",
        "announces_at",
        "quota_total",
        "is_additional",
        "stage",
    ]
    list_select_related = ["selection_run"]
    readonly_fields = ["stage", "preview_link"]
    inlines = [QuotaInline, SelectionRunInline]
    actions = ["run_selection_action"]

    @admin.action(description="Jalankan seleksi gelombang terpilih")
    def run_selection_action(self, request, queryset):
        for wave in queryset.order_by("number"):
            try:
                run = run_selection(wave=wave, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{wave}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{wave}: {run.applicants} pendaftar, {run.eligible} memenuhi syarat, "
                f"{run.selected} lolos, {run.not_selected} belum berhasil (seed {run.seed}).",
                messages.SUCCESS,
            )


@admin.register(SelectionRun)
class SelectionRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["wave", "seed", "started_at", "finished_at", "applicants", "selected", "actor"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["participant", "wave", "status", "reason_code", "joined_at"]
    list_filter = ["wave", "status", "reason_code"]
    list_select_related = ["participant__user", "wave"]
    show_full_result_count = False
