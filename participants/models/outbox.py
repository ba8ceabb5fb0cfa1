"""Registration emails waiting in the database while Redis cannot take them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingRegistrationMail(models.Model):
    """One registration email (``participants.registration.mail``'s JSON item) that could not
    be queued in Redis. The registration-mail job sends it and deletes the row; a row is never
    sent twice because the job takes rows with ``FOR UPDATE SKIP LOCKED``."""

    item = models.TextField(_("isi"))
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("email pendaftaran tertunda")
        verbose_name_plural = _("email pendaftaran tertunda")

    def __str__(self) -> str:
        return f"{self.pk} @ {self.created_at:%Y-%m-%d %H:%M}"
