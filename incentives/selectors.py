"""Reads for incentives; each owns its select_related/prefetch_related."""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from incentives.models import (
    DisbursementBatch,
    Installment,
    PayoutAccount,
    PayoutAccountChange,
    PayoutCallback,
    Survey,
)
from participants.models import Participant


def installments_for(*, participant: Participant) -> QuerySet[Installment]:
    """Every installment of the participant, in the order they fall due."""
    return Installment.objects.filter(participant=participant).order_by("due_at", "kind", "number")


def payout_account_for(*, participant: Participant) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(participant=participant).first()


def pending_change(*, participant: Participant, change_id) -> PayoutAccountChange:
    """The participant's own unconfirmed account change, or 404."""
    return get_object_or_404(
        PayoutAccountChange, pk=change_id, participant=participant, confirmed_at__isnull=True
    )


def survey_with_questions(*, number: int) -> Survey:
    return get_object_or_404(Survey.objects.prefetch_related("questions"), number=number)


def callback_replay(*, callback_id: str, signature: str) -> str:
    """Why a gateway callback is a replay: ``callback_id`` (that id was received before),
    ``signature`` (the exact signed request was, under another id) or ``""`` (new)."""
    seen = PayoutCallback.objects.filter(Q(callback_id=callback_id) | Q(signature=signature))
    ids = set(seen.values_list("callback_id", flat=True)[:2])
    if callback_id in ids:
        return "callback_id"
    return "signature" if ids and signature else ""


def batch_steps_for(*, batch: DisbursementBatch, user) -> dict[str, str]:
    """For the batch page: for each of ``submit``, ``approve`` and ``reject``, ``""`` when
    ``user`` may do it now, else the reason (Indonesian) the button is not shown."""
    reasons: dict[str, str] = {}
    can_submit = user.has_perm("incentives.submit_disbursementbatch")
    can_approve = user.has_perm("incentives.approve_disbursementbatch")
    if batch.status != DisbursementBatch.Status.AWAITING_SUBMISSION:
        reasons["submit"] = _("Batch ini tidak sedang menunggu pengajuan.")
    elif not can_submit:
        reasons["submit"] = _("Anda tidak memiliki izin mengajukan batch pencairan.")
    else:
        reasons["submit"] = ""
    if batch.status != DisbursementBatch.Status.PENDING_APPROVAL:
        reasons["approve"] = _("Batch ini tidak sedang menunggu persetujuan.")
    elif not can_approve:
        reasons["approve"] = _("Anda tidak memiliki izin menyetujui batch pencairan.")
    elif user.pk == batch.submitted_by_id:
        reasons["approve"] = _(
            "Anda yang mengajukan batch ini. Persetujuan harus oleh petugas lain (empat mata)."
        )
    elif user.pk == batch.created_by_id:
        reasons["approve"] = _(
            "Anda yang membuat batch ini. Persetujuan harus oleh petugas lain (empat mata)."
        )
    else:
        reasons["approve"] = ""
    if batch.status not in (
        DisbursementBatch.Status.AWAITING_SUBMISSION,
        DisbursementBatch.Status.PENDING_APPROVAL,
    ):
        reasons["reject"] = _("Batch ini sudah tidak bisa ditolak.")
    elif not (can_submit or can_approve):
        reasons["reject"] = _("Anda tidak memiliki izin menolak batch pencairan.")
    else:
        reasons["reject"] = ""
    return reasons


def batch_progress(*, batch: DisbursementBatch) -> dict[str, int]:
    """How many of the batch's installments are in each status (one query)."""
    rows = Installment.objects.filter(batch=batch).values_list("status").annotate(n=Count("id"))
    return dict(rows)
