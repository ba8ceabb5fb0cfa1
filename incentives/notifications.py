"""Telling participants what happens to their money, so nobody is left guessing: one SMS and
one email when an installment is paid, and when it fails (with the reason, the fix and a link to
fix the account). Sent after the outcome committed, by a task (``incentives.tasks.notify_payouts``),
through ``prakerja.sms`` and Django's mail backend; absolute links use ``PORTAL_URL``.

Each outcome of each attempt is announced once: the sender claims it with a conditional UPDATE
on ``Installment.notified_status`` before sending, so a retried task or two workers never send
the same notice twice; a new attempt (the claim that sends it) clears the mark, so a failure
after an account change or a staff retry is told again.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from incentives.models import ACCOUNT_REASONS, Installment, Reason
from participants import notices
from prakerja import links
from prakerja.money import rupiah

logger = logging.getLogger(__name__)

S = Installment.Status


def _what(installment: Installment) -> str:
    if installment.kind == Installment.Kind.SURVEY:
        return _("insentif survei ke-%(n)d") % {"n": installment.number}
    return _("insentif pasca pelatihan ke-%(n)d") % {"n": installment.number}


def fix_for(reason: str) -> str:
    """What the participant can do about a failed payout, in one sentence."""
    if reason in ACCOUNT_REASONS:
        return _(
            "Perbarui rekening/e-wallet Anda di %(link)s ; setelah diperbarui, pembayaran "
            "dicoba lagi otomatis."
        ) % {"link": links.portal_url_for("incentives:account_change")}
    return _("Anda tidak perlu melakukan apa-apa: pembayaran akan dicoba lagi oleh petugas.")


def sms_text(installment: Installment) -> str:
    values = {"what": _what(installment), "amount": rupiah(installment.amount_idr)}
    if installment.status == S.PAID:
        return _(
            "Prakerja: %(what)s %(amount)s telah dibayar ke rekening Anda. Riwayat: %(link)s"
        ) % {**values, "link": links.portal_url_for("incentives:history")}
    return _("Prakerja: %(what)s %(amount)s GAGAL dibayar. Alasan: %(reason)s. %(fix)s") % {
        **values,
        "reason": Reason(installment.reason_code).label,
        "fix": fix_for(installment.reason_code),
    }


def email_message(installment: Installment) -> EmailMessage:
    participant = installment.participant
    values = {
        "name": participant.user.full_name,
        "what": _what(installment),
        "amount": rupiah(installment.amount_idr),
        "history": links.portal_url_for("incentives:history"),
    }
    if installment.status == S.PAID:
        subject = _("Insentif Prakerja %(amount)s telah dibayar") % values
        body = (
            _(
                "Halo %(name)s,\n\n"
                "%(what)s sebesar %(amount)s telah dibayar ke rekening/e-wallet Anda.\n\n"
                "Riwayat insentif Anda: %(history)s\n\n"
                "Salam,\nManajemen Pelaksana Program Kartu Prakerja"
            )
            % values
        )
    else:
        values.update(
            reason=Reason(installment.reason_code).label, fix=fix_for(installment.reason_code)
        )
        subject = _("Insentif Prakerja %(amount)s gagal dibayar") % values
        body = (
            _(
                "Halo %(name)s,\n\n"
                "%(what)s sebesar %(amount)s gagal dibayar.\n"
                "Alasan: %(reason)s\n\n"
                "Yang perlu Anda lakukan: %(fix)s\n\n"
                "Riwayat insentif Anda: %(history)s\n\n"
                "Salam,\nManajemen Pelaksana Program Kartu Prakerja"
            )
            % values
        )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [participant.user.email])


def _claim(installment_ids: list[int]) -> list[int]:
    """The installments among ``installment_ids`` whose current outcome (paid or failed) was
    not announced yet, marked as announced."""
    claimed = []
    with transaction.atomic():
        rows = list(
            Installment.objects.select_for_update(skip_locked=True)
            .filter(pk__in=installment_ids, status__in=[S.PAID, S.FAILED])
            .values_list("pk", "status", "notified_status")
        )
        for status in (S.PAID, S.FAILED):
            ids = [pk for pk, st, notified in rows if st == status and notified != status]
            if ids:
                Installment.objects.filter(pk__in=ids).update(notified_status=status)
                claimed.extend(ids)
    return claimed


def _notice(installment: Installment) -> notices.Notice:
    message = email_message(installment)
    return notices.Notice(
        phone=installment.participant.phone,
        email=installment.participant.user.email,
        sms_text=sms_text(installment),
        subject=message.subject,
        body=message.body,
        log={"installment": installment.pk},
    )


def send_payout_notices(*, installment_ids: list[int]) -> dict[str, int]:
    """One SMS and one email per installment whose paid/failed outcome was not announced yet.
    A failed SMS or email is logged and counted, not retried (the history page shows the
    same)."""
    ids = _claim(installment_ids)
    counts = {"sms": 0, "email": 0, "failed": 0}
    if not ids:
        return counts
    with translation.override(settings.LANGUAGE_CODE):
        installments = Installment.objects.filter(pk__in=ids).select_related("participant__user")
        return notices.send_notices(map(_notice, installments), label="payout")
