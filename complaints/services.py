"""Writes for complaints: filing, assignment, status changes and staff replies.

Every function is keyword-only, runs in one transaction and writes its ``ComplaintEvent`` audit
row in that transaction. Emails are queued only after the transaction commits.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ComplaintEvent, ComplaintReply, new_ticket_number
from participants.models import DomainError, InvalidTransition
from prakerja.jobs import enqueue_on_commit


class InvalidTopic(DomainError):
    code = "complaint_invalid_topic"
    message = _("Sub-kategori tidak sesuai dengan kategori pengaduan.")


class EmptyReply(DomainError):
    code = "complaint_empty_reply"
    message = _("Balasan tidak boleh kosong.")


def _event(*, complaint: Complaint, kind: str, actor, now: dt.datetime, **fields) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint, kind=kind, actor=actor, created_at=now, **fields
    )


def submit_complaint(
    *,
    name: str,
    phone: str,
    email: str,
    category: str,
    subcategory: str = "",
    description: str,
    attachment=None,
    attachment_type: str = "",
    user=None,
    now: dt.datetime | None = None,
) -> Complaint:
    """File a complaint with a fresh ticket number and queue the confirmation email.

    ``attachment`` must already be checked (``prakerja.uploads.check`` with ``SCREENSHOT``) and
    ``attachment_type`` is its sniffed MIME type. Raises :class:`InvalidTopic`.
    """
    if subcategory not in ("", *Complaint.SUBCATEGORIES.get(category, ())) or (
        category not in Complaint.SUBCATEGORIES
    ):
        raise InvalidTopic()
    now = now or timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                complaint = Complaint(
                    ticket_number=new_ticket_number(),
                    user=user if user is not None and user.is_authenticated else None,
                    name=name,
                    phone=phone,
                    email=email.lower(),
                    category=category,
                    subcategory=subcategory,
                    description=description,
                    attachment_type=attachment_type if attachment else "",
                    consent_at=now,
                    created_at=now,
                    updated_at=now,
                )
                if attachment:
                    complaint.attachment.save("upload", attachment, save=False)
                complaint.save()
                _event(
                    complaint=complaint,
                    kind=ComplaintEvent.Kind.FILED,
                    actor=None,
                    now=now,
                    to_status=complaint.status,
                )
                enqueue_on_commit(
                    "complaints.tasks.send_ticket_email", complaint.pk, inline_if_broker_down=True
                )
                return complaint
        except IntegrityError:
            # A ticket number collision (1 in 31^8); draw again.
            if attachment and complaint.attachment:
                complaint.attachment.delete(save=False)
            continue
    raise DomainError(_("Gagal membuat nomor tiket. Silakan coba lagi."), code="ticket_failed")


def change_status(
    *, complaint: Complaint, to: str, actor, note: str = "", now: dt.datetime | None = None
) -> Complaint:
    """Move ``complaint`` to status ``to`` if ``ALLOWED_TRANSITIONS`` permits it.

    A conditional UPDATE on the current status makes two concurrent changes unable to both
    succeed. Raises :class:`InvalidTransition`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if to not in Complaint.ALLOWED_TRANSITIONS[current.status]:
            raise InvalidTransition(from_status=current.status, to_status=to)
        Complaint.objects.filter(pk=current.pk, status=current.status).update(
            status=to,
            updated_at=now,
            resolved_at=now if to == Complaint.Status.DONE else None,
        )
        _event(
            complaint=current,
            kind=ComplaintEvent.Kind.STATUS,
            from_status=current.status,
            to_status=to,
            note=note,
            actor=actor,
            now=now,
        )
    complaint.refresh_from_db()
    return complaint


def assign_complaint(
    *, complaint: Complaint, assignee, actor, now: dt.datetime | None = None
) -> Complaint:
    """Give the complaint to ``assignee`` (a staff account, or ``None`` to unassign)."""
    if assignee is not None and not assignee.is_staff:
        raise DomainError(_("Pengaduan hanya dapat ditugaskan ke petugas."), code="not_staff")
    now = now or timezone.now()
    with transaction.atomic():
        current = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if current.assigned_to_id == (assignee.pk if assignee else None):
            return complaint
        Complaint.objects.filter(pk=current.pk).update(assigned_to=assignee, updated_at=now)
        _event(
            complaint=current,
            kind=ComplaintEvent.Kind.ASSIGNMENT,
            note=assignee.email if assignee else "-",
            actor=actor,
            now=now,
        )
    complaint.refresh_from_db()
    return complaint


def reply_to_complaint(
    *, complaint: Complaint, body: str, actor, now: dt.datetime | None = None
) -> ComplaintReply:
    """Record a staff reply and email it to the complainant after commit.

    A reply to a new complaint also moves it to ``diproses`` (the participant sees someone is on
    it). Raises :class:`EmptyReply`.
    """
    body = body.strip()
    if not body:
        raise EmptyReply()
    now = now or timezone.now()
    with transaction.atomic():
        reply = ComplaintReply.objects.create(
            complaint=complaint, author=actor, body=body, created_at=now
        )
        _event(complaint=complaint, kind=ComplaintEvent.Kind.REPLY, actor=actor, now=now)
        Complaint.objects.filter(pk=complaint.pk).update(updated_at=now)
        if complaint.status == Complaint.Status.NEW:
            change_status(
                complaint=complaint, to=Complaint.Status.IN_PROGRESS, actor=actor, now=now
            )
        enqueue_on_commit("complaints.tasks.send_reply_email", reply.pk, inline_if_broker_down=True)
    complaint.refresh_from_db()
    return reply
