"""Staff side of incentives: installments (filters, retry/resolve actions), disbursement
batches (totals, maker-checker approval), payout requests, accounts, surveys and the daily
reconciliation reports. Statuses are read-only: only services change them."""

from django.contrib import admin, messages
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from incentives import selectors, services
from incentives.models import (
    DisbursementBatch,
    DisbursementBatchEvent,
    Installment,
    PayoutAccount,
    PayoutCallback,
    PayoutRequest,
    ReconciliationReport,
    Survey,
    SurveyQuestion,
)
from participants.admin.base import ReadOnlyMixin
from participants.models import DomainError

# What a payout officer needs, exactly (README "Staff roles"): see batches and their audit
# trail, submit job-made batches and approve other people's. The four-eyes rule stops the same
# person from doing both on one batch, whatever their permissions.
PAYOUT_OFFICER_PERMISSIONS = [
    "incentives.view_disbursementbatch",
    "incentives.view_disbursementbatchevent",
    "incentives.submit_disbursementbatch",
    "incentives.approve_disbursementbatch",
]

STEP_MESSAGES = {
    "submit": _("Batch diajukan. Persetujuan harus oleh petugas lain."),
    "approve": _("Batch disetujui dan sedang dikirim oleh worker; lihat kemajuannya di bawah."),
    "reject": _("Batch ditolak; cicilannya kembali ke antrean."),
}
STEPS = [
    ("ajukan", "submit", _("Ajukan untuk persetujuan")),
    ("setujui", "approve", _("Setujui dan kirim sekarang")),
    ("tolak", "reject", _("Tolak batch")),
]


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


class DisbursementBatchEventInline(ReadOnlyMixin, admin.TabularInline):
    model = DisbursementBatchEvent
    fields = ["created_at", "action", "actor", "note"]
    readonly_fields = fields
    extra = 0
    verbose_name = _("jejak audit")
    verbose_name_plural = _("jejak audit")


@admin.register(DisbursementBatch)
class DisbursementBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Batches and the four-eyes rule: the change page shows the buttons the staff member may
    press now ("Ajukan", "Setujui", "Tolak") and, for each one that is missing, why; progress
    and the sending result are on the same page (it refreshes itself while sending)."""

    change_form_template = "admin/incentives/disbursementbatch/change_form.html"
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
        "submitted_by",
        "approved_by",
    ]
    list_filter = ["status", "created_at"]
    fields = [
        "status",
        "installment_count",
        "total_idr",
        "progress",
        "result",
        "created_at",
        "created_by",
        "submitted_at",
        "submitted_by",
        "approved_at",
        "approved_by",
        "rejected_by",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields
    inlines = [DisbursementBatchEventInline]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by", "submitted_by", "approved_by", "rejected_by")
            .annotate(
                _paid_count=Count("installments", filter=Q(installments__status="paid")),
                _paid_idr=Sum("installments__amount_idr", filter=Q(installments__status="paid")),
                _failed_count=Count("installments", filter=Q(installments__status="failed")),
            )
        )

    def has_approve_permission(self, request):
        return request.user.has_perm("incentives.approve_disbursementbatch")

    def has_reject_permission(self, request):
        return request.user.has_perm(
            "incentives.approve_disbursementbatch"
        ) or request.user.has_perm("incentives.submit_disbursementbatch")

    @admin.display(description=_("dibayar"))
    def paid_count(self, obj):
        return obj._paid_count

    @admin.display(description=_("dibayar (Rp)"))
    def paid_idr(self, obj):
        return obj._paid_idr or 0

    @admin.display(description=_("gagal"))
    def failed_count(self, obj):
        return obj._failed_count

    @admin.display(description=_("kemajuan"))
    def progress(self, obj):
        counts = selectors.batch_progress(batch=obj)
        done = counts.get("paid", 0) + counts.get("failed", 0)
        parts = ", ".join(
            f"{Installment.Status(status).label}: {n}" for status, n in sorted(counts.items())
        )
        total = obj.installment_count or 1
        return f"{done}/{obj.installment_count} ({100 * done // total}%) — {parts}"

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/langkah/<str:step>/",
                self.admin_site.admin_view(self.four_eyes_view),
                name="incentives_disbursementbatch_step",
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if batch is not None:
            reasons = selectors.batch_steps_for(batch=batch, user=request.user)
            extra_context["four_eyes_steps"] = [
                (step, key, label, reasons[key]) for step, key, label in STEPS
            ]
            extra_context["refresh"] = batch.status in (
                DisbursementBatch.Status.APPROVED,
                DisbursementBatch.Status.SENDING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def four_eyes_view(self, request, pk: int, step: str):
        """POST only: ``ajukan`` (submit), ``setujui`` (approve) or ``tolak`` (reject)."""
        batch = get_object_or_404(DisbursementBatch, pk=pk)
        back = redirect("admin:incentives_disbursementbatch_change", pk)
        service = {
            "ajukan": services.submit_batch,
            "setujui": services.approve_batch,
            "tolak": services.reject_batch,
        }.get(step)
        if request.method != "POST" or service is None:
            return back
        key = {"ajukan": "submit", "setujui": "approve", "tolak": "reject"}[step]
        reason = selectors.batch_steps_for(batch=batch, user=request.user)[key]
        if reason:
            self.message_user(request, reason, messages.ERROR)
            return back
        try:
            service(batch=batch, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return back
        self.message_user(request, STEP_MESSAGES[key], messages.SUCCESS)
        return back

    @admin.action(description=_("Setujui batch (pemeriksa kedua)"), permissions=["approve"])
    def approve(self, request, queryset):
        self._each_batch(request, queryset, services.approve_batch, _("%(n)d batch disetujui."))

    @admin.action(description=_("Tolak batch"), permissions=["reject"])
    def reject(self, request, queryset):
        self._each_batch(request, queryset, services.reject_batch, _("%(n)d batch ditolak."))

    def _each_batch(self, request, queryset, service, done) -> None:
        """Call ``service`` for each selected batch as this staff member; say why any refused."""
        count = 0
        for batch in queryset:
            try:
                service(batch=batch, actor=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"Batch {batch.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, done % {"n": count})


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
