"""The sandbox platform's own records: what an outside platform keeps on its side."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SandboxCredential(models.Model):
    """The partner API key pair the sandbox signs its requests with, when it was provisioned
    through ``trainings.services.issue_partner_key`` rather than given in settings.

    One row at most (``slot`` is always 1). The secret is Fernet-encrypted like every other
    secret at rest, so a database dump does not reveal it.
    """

    slot = models.PositiveSmallIntegerField(_("nomor slot"), default=1, unique=True, editable=False)
    key = models.CharField(_("kunci"), max_length=64)
    secret_encrypted = models.TextField(_("rahasia (terenkripsi)"), editable=False)
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("kredensial platform uji coba")
        verbose_name_plural = _("kredensial platform uji coba")

    def __str__(self) -> str:
        return f"sandbox:{self.key[:8]}…"
