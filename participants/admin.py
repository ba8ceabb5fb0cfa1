"""Staff views of participants. Status fields are read-only: only services change them."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from participants import crypto, nik, services
from participants.admin_selection import WaveStageMixin
from participants.models import (
    Application,
    BasicTestAttempt,
    BasicTestQuestion,
    BlacklistEntry,
    DomainError,
    LedgerEntry,
    OrientationVideo,
    Participant,
    ParticipantEvent,
    SelectionRun,
    User,
    VideoProgress,
    Wave,
    WaveProvinceQuota,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "email_verified_at"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profil", {"fields": ("full_name", "email_verified_at")}),
        (
            "Hak akses",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Waktu", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = ParticipantEvent
    fields = ["created_at", "kind", "from_status", "to_status", "reason_code", "actor", "note"]
    readonly_fields = fields
    extra = 0


class LedgerInline(ReadOnlyMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ["created_at", "kind", "amount_idr", "balance_after_idr", "reference"]
    readonly_fields = fields
    extra = 0


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["user", "nik_masked", "status", "wave", "province", "balance_idr"]
    list_filter = ["status", ("applications__wave", admin.RelatedOnlyFieldListFilter), "province"]
    search_fields = ["user__email", "phone"]
    list_select_related = ["user", "wave", "province"]
    readonly_fields = [
        "user",
        "nik_masked",
        "status",
        "wave",
        "selected_at",
        "card_number",
        "oriented_at",
        "first_purchase_deadline",
        "first_purchase_at",
        "revoked_at",
        "revoke_reason",
        "balance_idr",
        "balance_expires_at",
    ]
    exclude = ["nik_hash", "nik_encrypted", "kk_hash", "kk_encrypted"]
    autocomplete_fields = ["province", "regency", "district"]
    inlines = [EventInline, LedgerInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if request.user.has_perm("participants.view_full_nik"):
            fields.insert(fields.index("nik_masked") + 1, "full_nik")
        return fields

    @admin.display(description="NIK lengkap")
    def full_nik(self, obj) -> str:
        # Only listed (and so only called) for staff holding participants.view_full_nik.
        return crypto.decrypt(obj.nik_encrypted) if obj.nik_encrypted else "-"

    def get_search_results(self, request, queryset, search_term):
        """A 16-digit term is a NIK: look it up exactly through its keyed hash (the clear NIK is
        not in the database); anything else searches email and phone."""
        term = search_term.strip()
        if nik.is_16_digits(term):
            return queryset.filter(nik_hash=crypto.keyed_hash(term)), False
        return super().get_search_results(request, queryset, search_term)


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


@admin.register(Wave)
class WaveAdmin(WaveStageMixin, admin.ModelAdmin):
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
        # Imported here to keep this action a self-contained addition to the shared module.
        from django.contrib import messages

        from participants.models import DomainError
        from participants.selection import run_selection

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


class BlacklistAddForm(forms.ModelForm):
    """Staff add an entry for fraud (or another reason) through ``add_to_blacklist``."""

    reason_code = forms.ChoiceField(
        label=_("alasan"),
        choices=[
            (BlacklistEntry.Reason.FRAUD, BlacklistEntry.Reason.FRAUD.label),
            (BlacklistEntry.Reason.OTHER, BlacklistEntry.Reason.OTHER.label),
        ],
    )
    note = forms.CharField(label=_("catatan"), widget=forms.Textarea, required=True)

    class Meta:
        model = BlacklistEntry
        fields = ["participant", "reason_code", "note"]

    def clean_participant(self):
        participant = self.cleaned_data["participant"]
        if participant is None:
            raise forms.ValidationError(_("Pilih peserta."))
        if services.is_blacklisted(nik_hash=participant.nik_hash):
            raise forms.ValidationError(services.AlreadyBlacklisted.message)
        return participant


class BlacklistRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Alasan penghapusan"), widget=forms.Textarea, required=True)


@admin.register(BlacklistEntry)
class BlacklistAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Entries are never edited or deleted: staff add one (``add_to_blacklist``) or lift one with
    a reason (``remove_from_blacklist``); both write an audit event. NIKs are shown masked; a full
    16-digit NIK typed in the search box is matched by its keyed hash."""

    list_display = ["nik_masked", "full_name", "reason_code", "created_at", "removed_at"]
    list_filter = ["reason_code"]
    exclude = ["nik_hash"]
    show_full_result_count = False
    search_fields = ["full_name"]
    raw_id_fields = ["participant"]
    actions = ["remove_entries"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("participants.add_blacklistentry")

    def has_remove_permission(self, request) -> bool:
        return request.user.has_perm("participants.change_blacklistentry")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["participant", "reason_code", "note"]
        return super().get_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = BlacklistAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        entry = services.add_to_blacklist(
            participant=form.cleaned_data["participant"],
            reason_code=form.cleaned_data["reason_code"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved row.
        obj.__dict__.update({k: v for k, v in entry.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if len(term) == 16 and term.isdigit():
            return queryset.filter(nik_hash=crypto.keyed_hash(term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Hapus dari daftar hitam (wajib alasan)"), permissions=["remove"])
    def remove_entries(self, request, queryset):
        form = BlacklistRemoveForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            removed = 0
            for entry in queryset.filter(removed_at__isnull=True).select_related("participant"):
                try:
                    services.remove_from_blacklist(
                        entry=entry, reason=form.cleaned_data["reason"], actor=request.user
                    )
                except DomainError:
                    continue  # lifted by someone else meanwhile
                removed += 1
            self.message_user(
                request,
                _("%(count)d entri dihapus dari daftar hitam.") % {"count": removed},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Hapus dari daftar hitam"),
            "form": form,
            "entries": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/participants/blacklistentry/remove.html", context)


@admin.register(BasicTestQuestion)
class BasicTestQuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "text", "correct_option", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["text"]


@admin.register(BasicTestAttempt)
class BasicTestAttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["participant", "started_at", "submitted_at", "score", "passed", "late"]
    list_filter = ["passed", "late"]
    list_select_related = ["participant__user"]
    show_full_result_count = False


@admin.register(OrientationVideo)
class OrientationVideoAdmin(admin.ModelAdmin):
    list_display = ["order", "title", "duration_seconds", "is_active"]


@admin.register(VideoProgress)
class VideoProgressAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["participant", "video", "started_at", "completed_at"]
    list_select_related = ["participant__user", "video"]
    show_full_result_count = False
