"""Complaints ("Formulir Pengaduan"): the ticket, staff replies and the audit trail.

Models hold data and invariants; every write goes through ``complaints.services``.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.eligibility.sources import EXCLUSION_SOURCES, RULES
from prakerja.uploads import AcceptedUpload

# The exclusion lists a person may contest, as the sub-categories of "Keberatan data instansi".
SOURCE_CHOICES = [(code, RULES[code].short) for code in EXCLUSION_SOURCES]

# Ticket numbers avoid look-alike characters (0/O, 1/I/L) so they can be read over the phone.
TICKET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_ticket_number() -> str:
    """``ADU-`` followed by 8 unguessable characters, e.g. ``ADU-7KQ2M9XH``."""
    return "ADU-" + "".join(secrets.choice(TICKET_ALPHABET) for _ in range(8))


def attachment_path(instance: "Complaint", filename: str) -> str:
    # The uploaded name is never used: it may carry a path or a misleading extension.
    extension = {"image/png": "png", "image/jpeg": "jpg"}.get(instance.attachment_type, "bin")
    return f"complaints/{uuid.uuid4().hex}.{extension}"


class Complaint(models.Model):
    """One complaint, from a participant or a guest. ``status`` changes only through services."""

    class Category(models.TextChoices):
        REGISTRATION = "registrasi", _("Registrasi")
        PURCHASE = "pembelian", _("Pembelian pelatihan")
        INCENTIVE = "insentif", _("Insentif")
        # A person named on one of the state's lists who says it is wrong; the sub-category is
        # the list's source (participants.eligibility.sources), so staff know which agency to ask.
        ELIGIBILITY = "kelayakan", _("Keberatan data instansi")
        OTHER = "lainnya", _("Lainnya")

    class Subcategory(models.TextChoices):
        ACCOUNT_FAILED = "gagal_buat_akun", _("Gagal buat akun")
        KTP_UPLOAD_FAILED = "gagal_unggah_ktp", _("Gagal unggah KTP")
        NIK_REGISTERED = "nik_sudah_terdaftar", _("NIK sudah terdaftar")
        OTHER = "lainnya", _("Lainnya")

    # Which sub-categories belong to which category (data, checked by the form and the service).
    SUBCATEGORIES: dict[str, tuple[str, ...]] = {
        Category.REGISTRATION: (
            Subcategory.ACCOUNT_FAILED,
            Subcategory.KTP_UPLOAD_FAILED,
            Subcategory.NIK_REGISTERED,
            Subcategory.OTHER,
        ),
        Category.ELIGIBILITY: tuple(EXCLUSION_SOURCES),
        Category.PURCHASE: (),
        Category.INCENTIVE: (),
        Category.OTHER: (),
    }

    class Status(models.TextChoices):
        NEW = "baru", _("Baru")
        IN_PROGRESS = "diproses", _("Diproses")
        DONE = "selesai", _("Selesai")

    # Allowed transitions are data; services check them and raise InvalidTransition.
    # A finished complaint may be reopened when the participant writes back.
    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        Status.NEW: {Status.IN_PROGRESS, Status.DONE},
        Status.IN_PROGRESS: {Status.DONE},
        Status.DONE: {Status.IN_PROGRESS},
    }

    ticket_number = models.CharField(
        _("nomor tiket"), max_length=16, unique=True, default=new_ticket_number, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("akun pelapor"),
    )
    name = models.CharField(_("nama"), max_length=150)
    phone = models.CharField(_("nomor HP"), max_length=20)
    email = models.EmailField(_("email"))
    category = models.CharField(_("kategori"), max_length=16, choices=Category)
    subcategory = models.CharField(
        _("sub-kategori"),
        max_length=32,
        choices=[*Subcategory.choices, *SOURCE_CHOICES],
        blank=True,
    )
    description = models.TextField(_("uraian"))
    attachment = models.FileField(
        _("tangkapan layar"),
        upload_to=attachment_path,
        blank=True,
        max_length=200,
        validators=[AcceptedUpload("screenshot")],
    )
    attachment_type = models.CharField(
        _("jenis lampiran"), max_length=32, blank=True, editable=False
    )
    consent_at = models.DateTimeField(_("persetujuan"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.NEW, editable=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        verbose_name=_("petugas"),
        editable=False,
    )
    created_at = models.DateTimeField(_("dibuat"))
    updated_at = models.DateTimeField(_("diperbarui"))
    resolved_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengaduan")
        verbose_name_plural = _("pengaduan")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subcategory="") | Q(category__in=["registrasi", "kelayakan"]),
                name="subcategory_only_for_registration_or_lists",
            ),
            models.CheckConstraint(
                condition=Q(status="selesai", resolved_at__isnull=False)
                | (~Q(status="selesai") & Q(resolved_at__isnull=True)),
                name="resolved_at_iff_done",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category", "created_at"], name="complaint_queue"),
            models.Index(fields=["user", "created_at"], name="complaint_by_user"),
        ]

    def __str__(self) -> str:
        return self.ticket_number

    @property
    def topic_display(self) -> str:
        if self.subcategory:
            return f"{self.get_category_display()}: {self.get_subcategory_display()}"
        return str(self.get_category_display())


class ComplaintReply(models.Model):
    """A staff answer, shown to the participant and sent by email."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="replies", verbose_name=_("pengaduan")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("penulis"),
    )
    body = models.TextField(_("balasan"))
    created_at = models.DateTimeField(_("dibuat pada"))
    emailed_at = models.DateTimeField(_("diemail pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("balasan")
        verbose_name_plural = _("balasan")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.body[:40]}"


class ComplaintEvent(models.Model):
    """The audit trail: one row per change (filed, status, assignment, reply)."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Pengaduan dibuat")
        STATUS = "status", _("Perubahan status")
        ASSIGNMENT = "assignment", _("Penugasan")
        REPLY = "reply", _("Balasan petugas")

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("pengaduan")
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    from_status = models.CharField(_("status lama"), max_length=16, blank=True)
    to_status = models.CharField(_("status baru"), max_length=16, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pelaku"),
    )
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("riwayat pengaduan")
        verbose_name_plural = _("riwayat pengaduan")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status}->{self.to_status}"
