"""Staff views of the money path: payments, vouchers, partner credentials and the balance ledger.

Everything here is read-only (status changes only through services); the two actions call
``cancel_payment`` and ``revoke_partner_key``. Loaded by ``TrainingsConfig.ready`` so it stays
separate from the catalog and sweep admin in ``trainings/admin.py``.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from participants.admin.base import ReadOnlyMixin
from participants.models import DomainError, LedgerEntry
from prakerja.crypto import mask_card
from trainings import services
from trainings.models import PartnerCredential, Payment, Voucher


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Partner records: written by the partner API and its services only."""


@admin.display(description=_("nomor kartu"))
def masked_card(obj) -> str:
    return mask_card(obj.participant.card_number or "")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Search by partner order id, voucher code, or a full card number (exact match)."""

    list_display = [
        "id",
        "platform",
        "partner_order_id",
        masked_card,
        "offering",
        "amount_idr",
        "status",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "platform"]
    search_fields = ["partner_order_id", "=voucher__code", "=participant__card_number"]
    list_select_related = ["platform", "participant", "offering__training", "offering__platform"]
    exclude = ["otp_hash"]
    date_hierarchy = "created_at"
    actions = ["cancel"]

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("trainings.change_payment")

    @admin.action(
        description=_("Batalkan pembayaran (voucher belum ditukarkan)"), permissions=["cancel"]
    )
    def cancel(self, request, queryset):
        done, refused = 0, 0
        for payment in queryset.select_related("platform"):
            try:
                services.cancel_payment(platform=payment.platform, payment_id=payment.pk)
                done += 1
            except DomainError:
                refused += 1
        self.message_user(
            request,
            _("%(done)d pembayaran dibatalkan, %(refused)d ditolak.")
            % {"done": done, "refused": refused},
            messages.SUCCESS if not refused else messages.WARNING,
        )


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "training",
        "provider",
        "platform",
        masked_card,
        "status",
        "sequence",
        "issued_at",
        "completed_at",
        "rating",
    ]
    list_filter = ["status", "provider", "payment__platform"]
    search_fields = ["=code", "=participant__card_number", "payment__platform__code"]
    list_select_related = ["training", "provider", "participant", "payment__platform"]

    @admin.display(description=_("platform"), ordering="payment__platform__name")
    def platform(self, obj) -> str:
        return obj.payment.platform.name


@admin.register(PartnerCredential)
class PartnerCredentialAdmin(ReadOnlyAdmin):
    """Keys are issued with ``manage.py issue_partner_key PLATFORM_CODE`` (the secret is shown
    once there); the admin only lists and revokes them. The secret is never displayed."""

    list_display = ["platform", "key", "created_at", "revoked_at"]
    list_filter = ["platform"]
    search_fields = ["key", "platform__code"]
    exclude = ["secret_encrypted"]
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("trainings.change_partnercredential")

    @admin.action(description=_("Cabut kunci API"), permissions=["revoke"])
    def revoke(self, request, queryset):
        count = 0
        for credential in queryset.filter(revoked_at__isnull=True):
            services.revoke_partner_key(credential=credential)
            count += 1
        self.message_user(request, _("%(count)d kunci dicabut.") % {"count": count})


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """The training balance ledger, read-only: every rupiah with its cause."""

    list_display = [
        "created_at",
        masked_card,
        "kind",
        "amount_idr",
        "balance_after_idr",
        "reference",
    ]
    list_filter = ["kind"]
    search_fields = ["=reference", "=participant__card_number"]
    list_select_related = ["participant"]
    date_hierarchy = "created_at"
