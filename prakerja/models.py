"""Project-level models: only what no app owns (shared file storage for multi-host setups)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """An uploaded file kept in the database (``prakerja.storage.DatabaseStorage``), so every
    web host serves every upload without a shared disk. Uploads here are small (complaint
    screenshots are at most COMPLAINT_ATTACHMENT_MAX_BYTES)."""

    name = models.CharField(_("nama berkas"), max_length=255, unique=True)
    content = models.BinaryField(_("isi"))
    size = models.PositiveIntegerField(_("ukuran (bita)"))
    created_at = models.DateTimeField(_("diunggah pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("berkas tersimpan")
        verbose_name_plural = _("berkas tersimpan")

    def __str__(self) -> str:
        return self.name


class JobStatus(models.Model):
    """The last run of one scheduled job (named by its beat entry, e.g. ``sweep-deadlines``),
    whoever ran it: the beat task or the operator command. One row per job, updated at each
    run (``prakerja.jobruns``); ``/metrics`` reads it, so every host reports the same."""

    class Outcome(models.TextChoices):
        OK = "ok", _("Berhasil")
        FAILED = "failed", _("Gagal")

    job = models.CharField(_("tugas"), max_length=64, unique=True)
    last_started_at = models.DateTimeField(_("terakhir mulai"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("terakhir selesai"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("terakhir berhasil"), null=True, blank=True)
    last_duration_seconds = models.FloatField(_("durasi terakhir (detik)"), null=True, blank=True)
    last_outcome = models.CharField(_("hasil terakhir"), max_length=16, choices=Outcome, blank=True)
    # The counts of the last finished run (``revoked``, ``paid``, ``failed_account_closed``...).
    last_counts = models.JSONField(_("hitungan terakhir"), default=dict, blank=True)
    last_error = models.CharField(_("galat terakhir"), max_length=300, blank=True)
    runs = models.PositiveBigIntegerField(_("jumlah jalan berhasil"), default=0)
    failures = models.PositiveBigIntegerField(_("jumlah gagal"), default=0)

    class Meta:
        verbose_name = _("status tugas terjadwal")
        verbose_name_plural = _("status tugas terjadwal")

    def __str__(self) -> str:
        return self.job
