"""Staff side of incentives: installments (filters, retry/resolve actions), disbursement
batches (totals, maker-checker approval), payout requests, accounts, surveys and the daily
reconciliation reports. Statuses are read-only: only services change them."""

from django.contrib import admin, messages
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from incentives import services
from incentives.models import (
    DisbursementBatch,
    Installment,
    PayoutAccount,
    PayoutCallback,
    PayoutRequest,
    ReconciliationReport,
    Survey,
    SurveyQuestion,
)
from participants.models import DomainError


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PayoutRequestInline(ReadOnlyMixin, admin.TabularInline):
    model = PayoutRequest
    fields = ["idempotency_key", "status", "reason_code", "amount_idr", "created_at", "finished_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Installment)
class InstallmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "participant",
        "kind",
        "number",
        "amount_idr",
        "due_at",
        "status",
        "reason_code",
        "paid_at",
        "batch",
    ]
    list_filter = ["status", "reason_code", "kind", "due_at", "paid_at"]
    date_hierarchy = "due_at"
    search_fields = ["participant__user__email", "participant__phone"]
    list_select_related = ["participant__user", "batch"]
    raw_id_fields = ["participant", "batch"]
    inlines = [PayoutRequestInline]
    actions = ["retry_failed", "mark_resolved"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        # Actions need the change permission; the fields themselves stay read-only.
        return request.user.has_perm("incentives.change_installment")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.action(description=_("Coba lagi cicilan yang gagal"))
    def retry_failed(self, request, queryset):
        moved = services.retry_failed(
            installment_ids=list(queryset.values_list("id", flat=True)), actor=request.user
        )
        self.message_user(request, _("%(n)d cicilan dijadwalkan ulang.") % {"n": moved})

    @admin.action(description=_("Tandai selesai: tanyakan status ke gateway"))
    def mark_resolved(self, request, queryset):
        summary = services.mark_resolved(
            installment_ids=list(queryset.values_list("id", flat=True)), actor=request.user
        )
        self.message_user(
            request,
            _("%(r)d diselesaikan: %(p)d dibayar, %(f)d gagal, %(u)d masih belum pasti.")
            % {"r": summary.resolved, "p": summary.paid, "f": summary.failed, "u": summary.unknown},
        )


@admin.register(DisbursementBatch)
class DisbursementBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "status",
        "installment_count",
        "total_idr",
        "paid_count",
        "paid_idr",
        "failed_count",
        "created_by",
        "approved_by",
    ]
    list_filter = ["status", "created_at"]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by", "approved_by")
            .annotate(
                _paid_count=Count("payout_requests", filter=Q(payout_requests__status="paid")),
                _paid_idr=Sum(
                    "payout_requests__amount_idr", filter=Q(payout_requests__status="paid")
                ),
                _failed_count=Count("payout_requests", filter=Q(payout_requests__status="failed")),
            )
        )

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("incentives.change_disbursementbatch")

    @admin.display(description=_("dibayar"))
    def paid_count(self, obj):
        return obj._paid_count

    @admin.display(description=_("dibayar (Rp)"))
    def paid_idr(self, obj):
        return obj._paid_idr or 0

    @admin.display(description=_("gagal"))
    def failed_count(self, obj):
        return obj._failed_count

    @admin.action(description=_("Setujui batch (pemeriksa kedua)"))
    def approve(self, request, queryset):
        approved = 0
        for batch in queryset:
            try:
                services.approve_batch(batch=batch, actor=request.user)
                approved += 1
            except DomainError as exc:
                self.message_user(request, f"Batch {batch.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(n)d batch disetujui.") % {"n": approved})

    @admin.action(description=_("Tolak batch"))
    def reject(self, request, queryset):
        rejected = 0
        for batch in queryset:
            try:
                services.reject_batch(batch=batch, actor=request.user)
                rejected += 1
            except DomainError as exc:
                self.message_user(request, f"Batch {batch.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(n)d batch ditolak.") % {"n": rejected})


@admin.register(PayoutRequest)
class PayoutRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["idempotency_key", "status", "reason_code", "amount_idr", "created_at", "batch"]
    list_filter = ["status", "reason_code", "created_at"]
    search_fields = ["idempotency_key"]
    show_full_result_count = False


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["participant", "kind", "holder_name", "validated_at", "validation_reason"]
    list_filter = ["kind", "validation_reason"]
    search_fields = ["participant__user__email"]
    list_select_related = ["participant__user"]


@admin.register(PayoutCallback)
class PayoutCallbackAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["callback_id", "idempotency_key", "status", "outcome", "received_at"]
    list_filter = ["outcome", "status"]


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "day",
        "portal_paid_count",
        "portal_paid_idr",
        "backend_paid_count",
        "backend_paid_idr",
        "mismatch_count",
    ]


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 1


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["number", "title"]
    inlines = [SurveyQuestionInline]
