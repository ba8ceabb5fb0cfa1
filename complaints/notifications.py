"""Emails to complainants: the ticket confirmation and staff replies, each with a tracking link.

The only module that sends complaint email; tasks call it, tests read ``mail.outbox``.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintReply
from prakerja import links

TRACKING_SALT = "complaints.track"


def tracking_token(complaint: Complaint) -> str:
    """A signed, unguessable, timestamped token naming one complaint: a guest's key to its
    status page, valid for ``COMPLAINT_TRACKING_MAX_AGE_SECONDS`` (every staff reply emails a
    fresh one)."""
    return signing.dumps(complaint.ticket_number, salt=TRACKING_SALT)


def ticket_from_token(token: str) -> str | None:
    """The ticket a token names, or ``None`` when it is forged or expired."""
    try:
        return signing.loads(
            token, salt=TRACKING_SALT, max_age=settings.COMPLAINT_TRACKING_MAX_AGE_SECONDS
        )
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None


def tracking_url(complaint: Complaint) -> str:
    return links.portal_url_for("complaints:track", token=tracking_token(complaint))


def send_ticket_email(*, complaint_id: int) -> None:
    complaint = Complaint.objects.get(pk=complaint_id)
    body = _(
        "Halo %(name)s,\n\nPengaduan Anda sudah kami terima dengan nomor tiket %(ticket)s "
        "(%(topic)s).\nAnda dapat memantau status dan balasan petugas di:\n%(url)s\n\n"
        "Jangan berikan OTP atau kata sandi kepada siapa pun.\n\nTim Kartu Prakerja"
    ) % {
        "name": complaint.name,
        "ticket": complaint.ticket_number,
        "topic": complaint.topic_display,
        "url": tracking_url(complaint),
    }
    send_mail(
        _("Pengaduan diterima: %(ticket)s") % {"ticket": complaint.ticket_number},
        body,
        None,
        [complaint.email],
    )


def send_reply_email(*, reply_id: int) -> bool:
    """Email one staff reply, at most once: the reply is claimed with a conditional UPDATE on
    ``emailed_at`` first, and released again if sending fails (so a retry sends it)."""
    claimed = ComplaintReply.objects.filter(pk=reply_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    reply = ComplaintReply.objects.select_related("complaint").get(pk=reply_id)
    complaint = reply.complaint
    body = _(
        "Halo %(name)s,\n\nPetugas Kartu Prakerja membalas pengaduan %(ticket)s:\n\n%(reply)s\n\n"
        "Status: %(status)s\nLihat selengkapnya: %(url)s\n\nTim Kartu Prakerja"
    ) % {
        "name": complaint.name,
        "ticket": complaint.ticket_number,
        "reply": reply.body,
        "status": complaint.get_status_display(),
        "url": tracking_url(complaint),
    }
    try:
        send_mail(
            _("Balasan pengaduan %(ticket)s") % {"ticket": complaint.ticket_number},
            body,
            None,
            [complaint.email],
        )
    except Exception:
        ComplaintReply.objects.filter(pk=reply_id).update(emailed_at=None)
        raise
    return True
