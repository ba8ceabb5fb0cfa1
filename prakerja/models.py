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
