"""Eligibility beyond a person's own declarations: the civil registry's answers, the state's
lists and their versions, the exceptions staff record after a complaint, and the staff review of
a person flagged after selection (docs/eligibility.md).

No clear NIK is ever stored here: lists and exceptions hold the project's keyed NIK hash
(``prakerja.crypto.keyed_hash``), the registry's answers only the result and the field.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from participants.eligibility.sources import Source
from participants.models.participant import Participant
from participants.models.waves import Wave


class RegistryCheck(models.Model):
    """One answer of the civil registry (Dukcapil) about a person's NIK + KK + name + birth date:
    the result, the differing field, the backend, the attempt and the time. Never the registry's
    data about the person."""

    class Result(models.TextChoices):
        MATCH = "match", _("Sesuai")
        MISMATCH = "mismatch", _("Tidak sesuai")
        UNAVAILABLE = "unavailable", _("Dukcapil tidak dapat dihubungi")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="registry_checks",
        verbose_name=_("peserta"),
    )
    result = models.CharField(_("hasil"), max_length=16, choices=Result)
    field = models.CharField(_("data yang tidak sesuai"), max_length=16, blank=True)
    detail = models.CharField(_("keterangan teknis"), max_length=32, blank=True)
    backend = models.CharField(_("layanan"), max_length=16)
    attempt = models.PositiveSmallIntegerField(_("percobaan ke"))
    checked_at = models.DateTimeField(_("diperiksa pada"))

    class Meta:
        verbose_name = _("pemeriksaan Dukcapil")
        verbose_name_plural = _("pemeriksaan Dukcapil")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.participant_id} #{self.attempt}: {self.result}"


class AgencyList(models.Model):
    """One imported version of a source's list (``participants.eligibility.lists``).

    Its keyed NIK hashes are rows of ``participants_agencylistentry`` under this row's id (a
    plain table made by a hand-written migration). Readers join the active versions in the same
    statement, so a new version replaces the old one when the import commits; the replaced
    version's rows are deleted afterwards (``purged_at``)."""

    class Status(models.TextChoices):
        LOADING = "loading", _("Sedang diimpor")
        ACTIVE = "active", _("Berlaku")
        REPLACED = "replaced", _("Diganti versi baru")

    source = models.CharField(_("sumber"), max_length=16, choices=Source)
    version = models.PositiveIntegerField(_("versi"))
    list_date = models.DateField(_("tanggal data"))
    valid_until = models.DateField(_("berlaku sampai"))
    rows = models.PositiveBigIntegerField(_("jumlah baris"), default=0)
    file_name = models.CharField(_("nama berkas"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    imported_at = models.DateTimeField(_("diimpor pada"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diimpor oleh"),
    )
    replaced_at = models.DateTimeField(_("diganti pada"), null=True, blank=True)
    purged_at = models.DateTimeField(_("baris dihapus pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("daftar instansi")
        verbose_name_plural = _("daftar instansi")
        ordering = ["source", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["source", "version"], name="one_list_version"),
            models.UniqueConstraint(
                fields=["source"], condition=Q(status="active"), name="one_active_list_per_source"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("list_date")), name="list_valid_after_its_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} v{self.version}"


class ListException(models.Model):
    """Staff's answer to a person who contests a list (a complaint in the "kelayakan" category):
    for ``source``, this NIK hash is not applied, until ``valid_until`` (inclusive, WIB) or until
    it is ended. Selection and the re-check respect it."""

    nik_hash = models.CharField(_("hash NIK"), max_length=64)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True)
    source = models.CharField(_("sumber"), max_length=16, choices=Source)
    reason = models.TextField(_("alasan"))
    complaint_ticket = models.CharField(_("nomor tiket pengaduan"), max_length=16, blank=True)
    valid_until = models.DateField(_("berlaku sampai"))
    created_at = models.DateTimeField(_("dicatat pada"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dicatat oleh"),
    )
    ended_at = models.DateTimeField(_("diakhiri pada"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diakhiri oleh"),
    )
    end_reason = models.TextField(_("alasan diakhiri"), blank=True)

    class Meta:
        verbose_name = _("pengecualian daftar")
        verbose_name_plural = _("pengecualian daftar")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="list_exception_has_reason"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""),
                name="list_exception_end_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["nik_hash", "source"], name="list_exception_lookup")]

    def __str__(self) -> str:
        return f"{self.nik_masked or self.nik_hash[:8]} / {self.source}"


class EligibilityReview(models.Model):
    """A participant found on an exclusion list after selection (``recheck_eligibility``),
    waiting for staff. Nobody is revoked by a list alone: each decision (freeze, revoke for
    ineligibility, clear) is proposed by one staff member and approved by another (four eyes:
    a database constraint keeps them different). While the review is open (``open`` or
    ``frozen``), incentive payouts to the person wait.

    One review per participant and list version: a cleared review keeps that version from
    flagging the person again; a new version of the list can."""

    class Status(models.TextChoices):
        OPEN = "open", _("Menunggu keputusan")
        FROZEN = "frozen", _("Kartu dibekukan, menunggu keputusan akhir")
        REVOKED = "revoked", _("Dicabut: tidak memenuhi syarat")
        CLEARED = "cleared", _("Dinyatakan memenuhi syarat")

    class Decision(models.TextChoices):
        FREEZE = "freeze", _("Bekukan kartu selama pemeriksaan")
        REVOKE = "revoke", _("Cabut kepesertaan: tidak memenuhi syarat")
        CLEAR = "clear", _("Nyatakan memenuhi syarat")

    OPEN_STATUSES = (Status.OPEN, Status.FROZEN)

    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="eligibility_reviews",
        verbose_name=_("peserta"),
    )
    source = models.CharField(_("sumber"), max_length=16, choices=Source)
    agency_list = models.ForeignKey(
        AgencyList,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("versi daftar"),
    )
    # The participant's wave when flagged (the staff dashboard counts per wave and source).
    wave = models.ForeignKey(
        Wave,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gelombang"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    flagged_at = models.DateTimeField(_("ditandai pada"))
    proposed_decision = models.CharField(
        _("usulan keputusan"), max_length=16, choices=Decision, blank=True
    )
    proposed_reason = models.TextField(_("alasan usulan"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diusulkan oleh"),
    )
    proposed_at = models.DateTimeField(_("diusulkan pada"), null=True, blank=True)
    # The last approved decision, its maker (proposer) and checker (approver).
    decision = models.CharField(_("keputusan"), max_length=16, choices=Decision, blank=True)
    decision_reason = models.TextField(_("alasan keputusan"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diusulkan oleh (keputusan)"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disetujui oleh"),
    )
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("tinjauan kelayakan")
        verbose_name_plural = _("tinjauan kelayakan")
        ordering = ["-flagged_at", "-id"]
        permissions = [
            ("propose_eligibilityreview", _("Dapat mengusulkan keputusan tinjauan kelayakan")),
            ("approve_eligibilityreview", _("Dapat menyetujui keputusan tinjauan kelayakan")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "agency_list"], name="one_review_per_list_version"
            ),
            models.UniqueConstraint(
                fields=["participant", "source"],
                condition=Q(status__in=["open", "frozen"]),
                name="one_open_review_per_source",
            ),
            # Four eyes: whoever proposed a decision never approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(decided_by__isnull=True)
                | ~Q(approved_by=F("decided_by")),
                name="review_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(proposed_decision="")
                | (Q(proposed_by__isnull=False) & ~Q(proposed_reason="")),
                name="review_proposal_complete",
            ),
        ]
        indexes = [models.Index(fields=["status", "flagged_at"], name="review_queue")]

    def __str__(self) -> str:
        return f"{self.participant_id} / {self.source} v{self.agency_list_id}: {self.status}"


class EligibilityReviewEvent(models.Model):
    """The review's audit trail: each proposal, approval and rejection (who, when, why). The
    flagging itself is the review's ``flagged_at``."""

    class Action(models.TextChoices):
        PROPOSED = "proposed", _("Keputusan diusulkan")
        APPROVED = "approved", _("Keputusan disetujui dan dijalankan")
        REJECTED = "rejected", _("Usulan ditolak")

    review = models.ForeignKey(
        EligibilityReview,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("tinjauan"),
    )
    action = models.CharField(_("tindakan"), max_length=16, choices=Action)
    decision = models.CharField(
        _("keputusan"), max_length=16, choices=EligibilityReview.Decision, blank=True
    )
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
        verbose_name = _("riwayat tinjauan kelayakan")
        verbose_name_plural = _("riwayat tinjauan kelayakan")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.action} {self.decision}"
