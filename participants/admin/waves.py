"""Staff pages of waves, their selection runs and applications."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.admin.base import ReadOnlyMixin
from participants.admin.selection import WaveStageMixin
from participants.cards import deadlines
from participants.models import (
    Application,
    DomainError,
    SelectionRun,
    Wave,
    WaveProvinceQuota,
)
from participants.waves import schedule
from participants.waves.selection import run_selection


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
    """The wave form applies the rules of a wave's dates (``schedule.check_wave_dates``): in order,
    a window that is not over already, and an announcement within its program year's period
    (so the 30-day first-purchase window ends by the balance expiry), naming the dates.

    Only a new wave's window must lie ahead (an existing wave may be closed early). An existing
    wave whose dates stay as they are and that breaks the late-wave rule cannot be saved before
    its announcement (move the announcement or the program year), and after it is saved with a
    warning (``WaveAdmin.save_model``): its people have been told the real last day to buy.
    """

    class Meta:
        model = Wave
        fields = [
            "number",
            "program_year",
            "opens_at",
            "closes_at",
            "announces_at",
            "quota_total",
            "is_additional",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        if "program_year" in self.fields:  # absent on a view-only page
            self.fields["program_year"].required = True
            self.fields["program_year"].initial = deadlines.program_year_of(now)
        if "announces_at" in self.fields:
            if self.instance.pk:
                year = deadlines.wave_program_year(self.instance)
            else:
                year = deadlines.program_year_of(now)
            self.fields["announces_at"].help_text = deadlines.last_announcement_help(year)

    def get_initial_for_field(self, field, field_name):
        if field_name == "program_year" and self.instance.pk:
            # A wave from before waves named a program year: the one it has always had.
            return deadlines.wave_program_year(self.instance)
        return super().get_initial_for_field(field, field_name)

    def clean(self):
        cleaned = super().clean()
        dates = {name: cleaned.get(name) for name in ("opens_at", "closes_at", "announces_at")}
        if None in dates.values() or not cleaned.get("program_year"):
            return cleaned  # a field error is shown already
        changed = set(self.changed_data)
        now = timezone.now()
        if self.instance.pk and not changed & {*dates, "program_year"}:
            if schedule.late_wave_problem(self.instance) and self.instance.announces_at > now:
                raise forms.ValidationError(
                    _("Gelombang ini melanggar batas pengumuman dan belum diumumkan: %(why)s")
                    % {"why": schedule.late_wave_problem(self.instance)},
                    code="announcement_too_late",
                )
            return cleaned
        try:
            schedule.check_wave_dates(
                **dates,
                program_year=cleaned["program_year"],
                now=now,
                # Only a new wave's window must lie ahead: closing an open wave early moves
                # its closing time to the past on purpose.
                window_moved=not self.instance.pk,
            )
        except DomainError as exc:
            self.add_error(
                ERROR_FIELDS.get(exc.code),
                forms.ValidationError(str(exc.message), code=exc.code),
            )
        return cleaned


# Which field a refused date rule is shown at (the rest above the form).
ERROR_FIELDS = {
    "announcement_too_late": "announces_at",
    "announcement_too_early": "announces_at",
    "wave_window_past": "closes_at",
}


@admin.register(Wave)
class WaveAdmin(WaveStageMixin, admin.ModelAdmin):
    form = WaveAdminForm
    list_display = [
        "number",
        "program_year",
        "opens_at",
        "closes_at",
        "announces_at",
        "quota_total",
        "is_additional",
        "stage",
        "late_wave_flag",
    ]
    list_select_related = ["selection_run"]
    readonly_fields = ["stage", "late_wave_rule", "preview_link"]
    inlines = [QuotaInline, SelectionRunInline]
    actions = ["run_selection_action"]

    @admin.display(description=gettext_lazy("batas pengumuman"))
    def late_wave_flag(self, obj: Wave) -> str:
        problem = schedule.late_wave_problem(obj)
        if not problem:
            return "-"
        return format_html(
            '<strong class="errornote" title="{}">{}</strong>',
            problem,
            _("Melanggar batas pengumuman"),
        )

    @admin.display(description=gettext_lazy("aturan batas pengumuman"))
    def late_wave_rule(self, obj: Wave) -> str:
        if obj.pk is None:
            return "-"
        problem = schedule.late_wave_problem(obj)
        if not problem:
            return _("Sesuai: batas pembelian pertama berakhir sebelum saldo kedaluwarsa.")
        return format_html(
            "<strong>{}</strong>: {} {}",
            _("Melanggar batas pengumuman"),
            problem,
            _(
                "Pesertanya diberi tahu batas beli yang sebenarnya: saat saldo kedaluwarsa "
                "(%(expiry)s)."
            )
            % {"expiry": deadlines.wib_text(deadlines.wave_balance_expiry(obj))},
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        problem = schedule.late_wave_problem(obj)
        if problem:
            self.message_user(
                request,
                _(
                    "%(wave)s sudah diumumkan dan melanggar batas pengumuman: %(why)s Pesertanya "
                    "diberi tahu batas beli yang sebenarnya, %(expiry)s, dan pengingat dihitung "
                    "mundur ke tanggal itu."
                )
                % {
                    "wave": obj,
                    "why": problem,
                    "expiry": deadlines.wib_text(deadlines.wave_balance_expiry(obj)),
                },
                messages.WARNING,
            )

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
