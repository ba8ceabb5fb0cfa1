import datetime as dt
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from complaints import notifications, services
from complaints.models import Complaint, ComplaintEvent
from participants.models import InvalidTransition
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


def file(**overrides) -> Complaint:
    data = {
        "name": "Rina Wati",
        "phone": "+6281211112222",
        "email": "Rina@Contoh.id",
        "category": Complaint.Category.REGISTRATION,
        "subcategory": Complaint.Subcategory.KTP_UPLOAD_FAILED,
        "description": "Foto KTP selalu gagal diunggah sejak kemarin.",
    }
    data.update(overrides)
    return services.submit_complaint(**data)


def staff(**kwargs):
    return UserFactory(is_staff=True, **kwargs)


def test_filing_gives_a_ticket_an_audit_row_and_emails_the_ticket_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file(now=NOW)
    assert complaint.ticket_number.startswith("ADU-")
    assert len(complaint.ticket_number) == 12
    assert complaint.status == Complaint.Status.NEW
    assert complaint.email == "rina@contoh.id"
    assert complaint.created_at == NOW and complaint.consent_at == NOW
    event = complaint.events.get()
    assert event.kind == ComplaintEvent.Kind.FILED and event.to_status == "baru"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rina@contoh.id"]
    assert complaint.ticket_number in message.subject
    link = re.search(r"/pengaduan/lacak/([^/\s]+)/", message.body)
    assert link and notifications.ticket_from_token(link.group(1)) == complaint.ticket_number


def test_a_subcategory_outside_its_category_is_refused():
    with pytest.raises(services.InvalidTopic):
        file(category=Complaint.Category.INCENTIVE)
    with pytest.raises(services.InvalidTopic):
        file(category="nonsense", subcategory="")
    assert not Complaint.objects.exists()


def test_statuses_follow_the_allowed_transitions_with_an_audit_row_each():
    complaint = file(subcategory="", category=Complaint.Category.PURCHASE)
    actor = staff()
    with time_machine.travel(NOW, tick=False):
        services.change_status(complaint=complaint, to="diproses", actor=actor, note="dicek")
        services.change_status(complaint=complaint, to="selesai", actor=actor)
    assert complaint.status == "selesai"
    assert complaint.resolved_at == NOW
    with pytest.raises(InvalidTransition):
        services.change_status(complaint=complaint, to="baru", actor=actor)
    services.change_status(complaint=complaint, to="diproses", actor=actor)
    complaint.refresh_from_db()
    assert complaint.resolved_at is None
    rows = list(
        complaint.events.filter(kind="status").values_list("from_status", "to_status", "actor")
    )
    assert rows == [
        ("baru", "diproses", actor.pk),
        ("diproses", "selesai", actor.pk),
        ("selesai", "diproses", actor.pk),
    ]


def test_a_reply_is_recorded_moves_a_new_complaint_to_in_progress_and_is_emailed_once(
    django_capture_on_commit_callbacks,
):
    complaint = file()
    actor = staff()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_to_complaint(
            complaint=complaint, body="  Silakan unggah ulang dengan format JPG.  ", actor=actor
        )
    assert reply.body == "Silakan unggah ulang dengan format JPG."
    complaint.refresh_from_db()
    assert complaint.status == "diproses"
    assert len(mail.outbox) == 1
    assert "Silakan unggah ulang" in mail.outbox[0].body
    reply.refresh_from_db()
    assert reply.emailed_at is not None
    # A retried task does not send it twice.
    assert notifications.send_reply_email(reply_id=reply.pk) is False
    assert len(mail.outbox) == 1
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["filed", "reply", "status"]


def test_an_empty_reply_is_refused():
    with pytest.raises(services.EmptyReply):
        services.reply_to_complaint(complaint=file(), body="   ", actor=staff())


def test_assignment_is_audited_and_only_staff_can_be_assigned():
    complaint = file()
    officer = staff(email="petugas@prakerja.local")
    services.assign_complaint(complaint=complaint, assignee=officer, actor=officer)
    assert complaint.assigned_to == officer
    assert complaint.events.filter(kind="assignment", note="petugas@prakerja.local").exists()
    with pytest.raises(services.DomainError):
        services.assign_complaint(complaint=complaint, assignee=UserFactory(), actor=officer)


def test_tracking_tokens_are_signed():
    complaint = file()
    token = notifications.tracking_token(complaint)
    assert notifications.ticket_from_token(token) == complaint.ticket_number
    assert notifications.ticket_from_token(token[:-2] + "xx") is None


def test_demo_complaints_are_seeded_once(django_capture_on_commit_callbacks, settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())
    assert Complaint.objects.count() == 2
    answered = Complaint.objects.get(user__email="aktif@prakerja.local")
    assert answered.status == "diproses" and answered.replies.count() == 1
