"""Staff views of accounts and participants. Status fields are read-only: only services change
them. The other topics sit beside this module (``participants/admin/``: ``waves``,
``blacklist``, ``regions``, ...); ``ParticipantsConfig.ready`` imports them all."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants import services, visibility
from participants.admin.base import (
    DecisionReasonForm,
    NikSearchMixin,
    ReadOnlyMixin,
    run_with_reason,
)
from participants.admin.corrections import correction_page
from participants.models import (
    BasicTestAttempt,
    BasicTestQuestion,
    LedgerEntry,
    OrientationVideo,
    Participant,
    ParticipantEvent,
    User,
    VideoProgress,
)
from participants.registration import nik
from prakerja import crypto


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


class ParticipantRecordInline(ReadOnlyMixin):
    """A record of the participant shown on their page: whoever may view the participant sees
    it (no separate permission for the history and the ledger)."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("participants.view_participant")


HIDDEN_VALUE = _("(tersembunyi)")


class EventInline(ParticipantRecordInline, admin.TabularInline):
    """The decision history: who, when, why, and for a correction the old and new value; the
    value of a field the staff member may not see (a birth date, a district) is not shown."""

    model = ParticipantEvent
    fields = [
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "reason_code",
        "field",
        "old",
        "new",
        "actor",
        "note",
    ]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        self._hidden = visibility.hidden_participant_fields(request.user)
        return super().get_queryset(request).select_related("actor")

    def _shown(self, event: ParticipantEvent, value: str) -> str:
        return HIDDEN_VALUE if event.field in self._hidden and value else value

    @admin.display(description=_("nilai lama"))
    def old(self, event: ParticipantEvent) -> str:
        return self._shown(event, event.old_value)

    @admin.display(description=_("nilai baru"))
    def new(self, event: ParticipantEvent) -> str:
        return self._shown(event, event.new_value)


class LedgerInline(ParticipantRecordInline, admin.TabularInline):
    model = LedgerEntry
    fields = ["created_at", "kind", "amount_idr", "balance_after_idr", "reference"]
    readonly_fields = fields
    extra = 0


# What an officer who acts on participants holds (README "Staff actions on participants"; the
# tests log in with exactly these).
PARTICIPANT_OFFICER_PERMISSIONS = [
    "participants.view_participant",
    "participants.freeze_participant",
    "participants.revoke_participant",
    "participants.correct_profile",
    "participants.view_blacklistentry",
    "participants.add_blacklistentry",
]

# --- staff actions on a person: freeze, lift, revoke for fraud, correct a profile field -----------


@admin.register(Participant)
class ParticipantAdmin(NikSearchMixin, admin.ModelAdmin):
    """Every field that decides eligibility, selection or the card is read-only here: staff
    change a person only through the actions below (each asks a reason and writes an audit row):
    freeze, lift a freeze, revoke for fraud, correct a profile field."""

    list_display = ["user", "nik_masked", "status", "wave", "province", "balance_idr"]
    list_filter = ["status", ("applications__wave", admin.RelatedOnlyFieldListFilter), "province"]
    search_fields = ["user__email", "phone"]
    list_select_related = ["user", "wave", "province"]
    # The plain form may change the postal address only.
    readonly_fields = [
        "user",
        "nik_masked",
        "status",
        "frozen_from_status",
        "frozen_at",
        "wave",
        "selected_at",
        "card_number",
        "oriented_at",
        "first_purchase_deadline",
        "deadline_extended_days",
        "first_purchase_at",
        "revoked_at",
        "revoke_reason",
        "finished_at",
        "balance_idr",
        "balance_expires_at",
        *services.DECISIVE_FIELDS,
        "identity_verified_at",
        "phone",
        "phone_verified_at",
        "declared_at",
        "test_passed_at",
    ]
    inlines = [EventInline, LedgerInline]
    show_full_result_count = False
    actions = ["freeze_cards", "lift_freezes", "revoke_for_fraud", "correct_profile"]
    change_form_template = "admin/participants/participant/change_form.html"

    def has_freeze_permission(self, request) -> bool:
        return request.user.has_perm("participants.freeze_participant")

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("participants.revoke_participant")

    def has_correct_permission(self, request) -> bool:
        return request.user.has_perm("participants.correct_profile")

    @admin.action(description=_("Bekukan kartu (wajib alasan)"), permissions=["freeze"])
    def freeze_cards(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="freeze_cards",
            service=services.freeze_card,
            title=_("Bekukan kartu"),
            done=_("%(count)d kartu dibekukan."),
        )

    @admin.action(description=_("Buka pembekuan kartu (wajib alasan)"), permissions=["freeze"])
    def lift_freezes(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="lift_freezes",
            service=services.lift_freeze,
            title=_("Buka pembekuan kartu"),
            done=_("%(count)d pembekuan kartu dibuka."),
        )

    @admin.action(
        description=_("Cabut kepesertaan karena kecurangan (wajib alasan)"),
        permissions=["revoke"],
    )
    def revoke_for_fraud(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="revoke_for_fraud",
            service=services.revoke_for_fraud,
            title=_("Cabut kepesertaan karena kecurangan"),
            done=_("%(count)d kepesertaan dicabut (masuk daftar hitam, saldo hangus)."),
        )

    @admin.action(description=_("Koreksi data profil (wajib alasan)"), permissions=["correct"])
    def correct_profile(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Pilih tepat satu peserta untuk dikoreksi."), messages.WARNING
            )
            return None
        return redirect("admin:participants_participant_correct", queryset.get().pk)

    def _with_reason(self, request, queryset, *, action, service, title, done):
        """An intermediate page asks the reason, then ``service`` runs once per person (each in
        its own transaction); people whose status does not allow it are counted as skipped."""

        def skipped(refused) -> None:
            self.message_user(
                request,
                _("%(count)d peserta dilewati: statusnya tidak memungkinkan tindakan ini.")
                % {"count": len(refused)},
                messages.WARNING,
            )

        return run_with_reason(
            self,
            request,
            list(queryset.select_related("user")),
            call=lambda p, data: service(
                participant=p,
                reason=data["reason"],
                participant_reason=data["participant_reason"],
                actor=request.user,
            ),
            done=done,
            action=action,
            title=title,
            intro=_(
                "Tindakan ini berlaku untuk peserta berikut. Catatan internal dan alasan untuk "
                "peserta dicatat di riwayat keputusan masing-masing beserta nama Anda dan "
                "waktunya. Peserta diberi tahu lewat SMS dan email dengan alasan untuk peserta."
            ),
            label=lambda p: f"{p.user.full_name} — {p.nik_masked} ({p.get_status_display()})",
            on_refused=skipped,
            form_class=DecisionReasonForm,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_correct": self.has_correct_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        correct = self.admin_site.admin_view(self.correct_view)
        return [
            path("<int:pk>/koreksi/", correct, name="participants_participant_correct"),
            *super().get_urls(),
        ]

    def correct_view(self, request, pk: int):
        """Correct decisive profile fields (``participants.admin.corrections``: reason, audit
        rows, four eyes on declarations)."""
        return correction_page(self, request, pk)

    def get_readonly_fields(self, request, obj=None):
        hidden = visibility.hidden_participant_fields(request.user)
        fields = [f for f in super().get_readonly_fields(request, obj) if f not in hidden]
        extra = "full_nik" if visibility.sees_full_identity(request.user) else "age"
        fields.insert(fields.index("nik_masked") + 1, extra)
        return fields

    def get_exclude(self, request, obj=None):
        # What the staff member may not see (district, birth date, gender, address without
        # view_full_nik; the stored hashes and ciphertexts for everyone): docs/privacy.md.
        exclude = set(super().get_exclude(request, obj) or [])
        return sorted(exclude | visibility.hidden_participant_fields(request.user))

    @admin.display(description="Umur (tahun)")
    def age(self, obj) -> str:
        if obj.birth_date is None:
            return "-"
        return str(nik.age_on(obj.birth_date, timezone.localdate()))

    @admin.display(description="NIK lengkap")
    def full_nik(self, obj) -> str:
        # Only listed (and so only called) for staff who may see the full NIK.
        return crypto.decrypt(obj.nik_encrypted) if obj.nik_encrypted else "-"


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


# What a staff member who manages the orientation videos needs, exactly (documented in the
# README; tests log in with these). An upload is accepted only as MP4 or WebM, by content and
# extension (prakerja/uploads.py).
ORIENTATION_OFFICER_PERMISSIONS = [
    "participants.view_orientationvideo",
    "participants.add_orientationvideo",
    "participants.change_orientationvideo",
]


@admin.register(OrientationVideo)
class OrientationVideoAdmin(admin.ModelAdmin):
    list_display = ["order", "title", "duration_seconds", "is_active"]


@admin.register(VideoProgress)
class VideoProgressAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["participant", "video", "started_at", "completed_at"]
    list_select_related = ["participant__user", "video"]
    show_full_result_count = False
