"""The fake payout gateway's own records (the ``fake`` backend of ``incentives.payouts``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FakeGatewayTransfer(models.Model):
    """What the ``fake`` payout backend remembers, like a real gateway: one row per idempotency
    key, so a repeated key returns the first result and money never moves twice. Lives in the
    database so it survives a killed worker. Not used by the ``http`` backend."""

    idempotency_key = models.CharField(_("kunci idempotensi"), max_length=64, unique=True)
    reference = models.CharField(_("referensi gateway"), max_length=64, db_index=True)
    amount_idr = models.PositiveBigIntegerField(_("jumlah (Rp)"))
    account_number = models.CharField(_("nomor rekening"), max_length=20)
    status = models.CharField(max_length=16)
    reason_code = models.CharField(_("kode alasan"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"))
    # How many times the key was sent: a temporary error is not a final answer, so a repeated
    # key is processed again (as a real gateway answering 503 would).
    tries = models.PositiveSmallIntegerField(_("jumlah kiriman"), default=1)

    class Meta:
        verbose_name = _("transfer gateway palsu")
        verbose_name_plural = _("transfer gateway palsu")
