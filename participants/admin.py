"""Staff views of participants. Status fields are read-only: only services change them."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from participants.models import (
    Application,
    BlacklistEntry,
    LedgerEntry,
    Participant,
    ParticipantEvent,
    SelectionRun,
    User,
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
    list_filter = ["status", "wave", "province"]
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
    inlines = [EventInline, LedgerInline]
    show_full_result_count = False


class QuotaInline(admin.TabularInline):
    model = WaveProvinceQuota
    extra = 0


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "opens_at",
        "closes_at",
        "announces_at",
        "quota_total",
        "is_additional",
    ]
    inlines = [QuotaInline]
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


@admin.register(BlacklistEntry)
class BlacklistAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["nik_masked", "full_name", "reason_code", "created_at", "removed_at"]
    list_filter = ["reason_code"]
    exclude = ["nik_hash"]
    show_full_result_count = False
