"""What is kept about a person: the training balance ledger, the blacklist and the
audit trail of decisions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models.participant import Participant

# --- the training balance ledger ----------------------------------------------------------------


class LedgerEntry(models.Model):
    """One movement of a participant's training balance. Every rupiah is explained here.

    Credits are positive, debits negative; ``balance_after_idr`` is the balance right after this
    entry, written in the same statement that moved ``Participant.balance_idr``.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", _("Saldo pelatihan diberikan")
        PURCHASE = "purchase", _("Pembelian pelatihan")
        REVERSAL = "reversal", _("Pembatalan pembelian")
        FORFEIT = "forfeit", _("Saldo hangus (kepesertaan dicabut)")
        EXPIRY = "expiry", _("Saldo kedaluwarsa")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"))
    balance_after_idr = models.BigIntegerField(_("saldo setelahnya (Rp)"))
    # What caused it: a payment id for purchase/reversal, a sweep run for forfeit, and so on.
    reference = models.CharField(_("referensi"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("mutasi saldo")
        verbose_name_plural = _("mutasi saldo")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["grant", "reversal"], amount_idr__gt=0)
                    | Q(kind__in=["purchase", "forfeit", "expiry"], amount_idr__lt=0)
                ),
                name="ledger_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after_idr__gte=0), name="ledger_balance_after_never_negative"
            ),
            models.UniqueConstraint(
                fields=["participant", "kind"],
                condition=Q(kind__in=["grant", "forfeit", "expiry"]),
                name="one_grant_forfeit_expiry_each",
            ),
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=Q(kind__in=["purchase", "reversal"]),
                name="one_ledger_entry_per_payment",
            ),
        ]
        indexes = [models.Index(fields=["participant", "created_at"], name="ledger_by_participant")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_idr} -> {self.balance_after_idr}"


# --- blacklist and audit ------------------------------------------------------------------------


class BlacklistEntry(models.Model):
    """A lifetime ban, by the NIK's keyed hash. Removal keeps the row (audit) and needs a reason."""

    class Reason(models.TextChoices):
        NO_FIRST_PURCHASE = "no_first_purchase", _("Tidak membeli pelatihan pertama dalam 30 hari")
        FRAUD = "fraud", _("Kecurangan / penyalahgunaan")
        INELIGIBLE = "ineligible", _("Tidak memenuhi syarat menurut daftar instansi")
        OTHER = "other", _("Lainnya")

    # Looked up through the partial unique index of the active entries (is_blacklisted, the
    # sweep's ON CONFLICT); no second index over every entry, which the sweep would have to
    # update at a random place for each of its revocations.
    nik_hash = models.CharField(_("hash NIK"), max_length=64)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True)
    full_name = models.CharField(_("nama"), max_length=150)
    # The ban is keyed by nik_hash; the participant link is for display. No database constraint
    # for the same reason as ParticipantEvent.participant (the sweep writes 10,000 per batch).
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blacklist",
        db_constraint=False,
        verbose_name=_("peserta"),
    )
    reason_code = models.CharField(_("alasan"), max_length=32, choices=Reason)
    legal_basis = models.CharField(_("dasar hukum"), max_length=200, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    created_at = models.DateTimeField(_("dibuat pada"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("dibuat oleh"),
    )
    removed_at = models.DateTimeField(_("dihapus pada"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("dihapus oleh"),
    )
    removal_reason = models.TextField(_("alasan penghapusan"), blank=True)

    class Meta:
        verbose_name = _("daftar hitam")
        verbose_name_plural = _("daftar hitam")
        constraints = [
            models.UniqueConstraint(
                fields=["nik_hash"],
                condition=Q(removed_at__isnull=True),
                name="one_active_blacklist_entry_per_nik",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nik_masked} ({self.reason_code})"


class ParticipantEvent(models.Model):
    """The audit trail: every decision about a person, with its reason code, time and actor."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Perubahan status")
        PROFILE = "profile", _("Perubahan data")
        ELIGIBILITY = "eligibility", _("Kelayakan")
        SELECTION = "selection", _("Seleksi")
        BLACKLIST = "blacklist", _("Daftar hitam")
        PAYOUT = "payout", _("Pembayaran insentif")
        NOTE = "note", _("Catatan")

    # No database constraint: this append-only log takes a million rows per selection or sweep,
    # and each row's deferred foreign-key check (a KEY SHARE lock on the participant) cost more
    # than the insert itself. Rows are written only by services from participants they have just
    # selected, and participants are never deleted (PROTECT elsewhere).
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
        db_constraint=False,
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    from_status = models.CharField(_("status lama"), max_length=16, blank=True)
    to_status = models.CharField(_("status baru"), max_length=16, blank=True)
    reason_code = models.CharField(_("kode alasan"), max_length=64, blank=True)
    # ``note`` is the staff's internal note; what the person is told about a staff decision on
    # their card (freeze, lift, revocation for fraud) is ``participant_reason``: the dashboard,
    # the SMS and the email show it, never the note. db_default: raw SQL inserts omit it.
    note = models.TextField(_("catatan internal"), blank=True)
    participant_reason = models.TextField(
        _("alasan untuk peserta"), blank=True, default="", db_default=""
    )
    # When the person was told about this decision by SMS and email (claimed once).
    notified_at = models.DateTimeField(_("diberitahukan pada"), null=True, blank=True)
    # A profile correction: which field, its value before and after (as text). db_default: the
    # set-based jobs insert events in raw SQL without naming these columns.
    field = models.CharField(_("data"), max_length=64, blank=True, default="", db_default="")
    old_value = models.CharField(
        _("nilai lama"), max_length=255, blank=True, default="", db_default=""
    )
    new_value = models.CharField(
        _("nilai baru"), max_length=255, blank=True, default="", db_default=""
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("pelaku"),
    )
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("riwayat keputusan")
        verbose_name_plural = _("riwayat keputusan")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["participant", "created_at"], name="event_by_participant")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status}->{self.to_status} ({self.reason_code})"


# --- corrections of a declaration: four eyes ------------------------------------------------------


class ProfileCorrection(models.Model):
    """A staff member's correction of a declaration ("Pernyataan Pendaftar": student, civil
    servant, other social aid, unemployed), applied only when another staff member approves it
    (``participants.services.profile``). The database refuses an approval by the one who asked."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu persetujuan")
        APPROVED = "approved", _("Disetujui")
        REJECTED = "rejected", _("Ditolak")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("peserta"),
    )
    field = models.CharField(_("data"), max_length=64)
    old_value = models.CharField(_("nilai lama"), max_length=255, blank=True)
    new_value = models.CharField(_("nilai baru"), max_length=255)
    reason = models.TextField(_("alasan koreksi"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("diajukan oleh"),
    )
    requested_at = models.DateTimeField(_("diajukan pada"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diputuskan oleh"),
    )
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)
    decision_note = models.TextField(_("alasan keputusan"), blank=True)

    class Meta:
        verbose_name = _("koreksi pernyataan")
        verbose_name_plural = _("koreksi pernyataan")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="correction_decided_by_another",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False)),
                name="correction_decided_once",
            ),
            models.UniqueConstraint(
                fields=["participant", "field"],
                condition=Q(status="pending"),
                name="one_pending_correction_per_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.field} {self.old_value} -> {self.new_value}"
