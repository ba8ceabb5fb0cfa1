"""Every link in an SMS or email is built from PORTAL_URL; the messages show both dates."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from complaints import notifications as complaint_notifications
from complaints import services as complaint_services
from participants.models import Application, Participant
from participants.notices import decisions
from participants.registration import steps
from prakerja import sms
from tests.factories import ParticipantFactory, UserFactory
from tests.trainings.sweep_helpers import participant_in, wave_21, wib
from trainings import reminders, sweep

PORTAL = "https://prakerja.contoh.id:9443"
URL = re.compile(r"https?://[^\s)>\"']+")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_url")]


@pytest.fixture
def portal_url(settings):
    settings.PORTAL_URL = PORTAL + "/"


def links_in(text: str) -> list[str]:
    return URL.findall(text)


def assert_portal_links(text: str, *, at_least: int = 1) -> None:
    found = links_in(text)
    assert len(found) >= at_least, f"no link in: {text!r}"
    for link in found:
        assert link.startswith(PORTAL + "/"), f"{link} does not use PORTAL_URL"


def selected_person() -> Participant:
    person = participant_in(wave_21(), status=Participant.Status.SELECTED)
    return Participant.objects.select_related("wave", "user").get(pk=person.pk)


def test_the_selection_sms_and_email_show_the_deadline_the_expiry_and_a_portal_link():
    person = selected_person()
    text = decisions.selected_sms_text(participant=person)
    body = decisions.selected_email(participant=person).body
    for message in (text, body):
        assert "21 Oktober 2021 23.59 WIB" in message
        assert "15 Desember 2021 23.59 WIB" in message
        assert_portal_links(message)


def test_the_reminder_shows_the_deadline_the_expiry_and_a_portal_link(sms_outbox):
    person = participant_in(wave_21())
    reminders.send_deadline_reminders(now=wib(2021, 10, 14, 9, 0))
    assert [m.to for m in sms_outbox] == [person.phone]
    for message in (sms_outbox[0].text, mail.outbox[0].body):
        assert "21 Oktober 2021 23.59 WIB" in message
        assert "15 Desember 2021 23.59 WIB" in message
        assert_portal_links(message)


def test_the_email_verification_link_uses_portal_url_not_the_request_host(client):
    client.post(
        reverse("register"),
        {
            "full_name": "Siti Aminah",
            "email": "siti@contoh.id",
            "password": "kuat-Sekali-2026",
            "password_confirm": "kuat-Sekali-2026",
        },
        HTTP_HOST="localhost",
    )
    assert len(mail.outbox) == 1
    assert_portal_links(mail.outbox[0].body)


def test_the_password_reset_link_uses_portal_url_not_the_request_host(client):
    UserFactory(email="lupa@contoh.id")
    client.post(reverse("password_reset"), {"email": "lupa@contoh.id"}, HTTP_HOST="localhost")
    assert len(mail.outbox) == 1
    assert_portal_links(mail.outbox[0].body)


def test_every_sms_and_email_with_a_link_uses_portal_url(
    sms_outbox, django_capture_on_commit_callbacks
):
    """Run every sender the portal has and check each link in what went out."""
    person = selected_person()
    decisions.send_selected_sms(participant_ids=[person.pk])
    decisions.send_selected_emails(participant_ids=[person.pk])
    loser = ParticipantFactory()
    application = Application.objects.create(
        participant=loser,
        wave=person.wave,
        joined_at=person.wave.opens_at,
        status=Application.Status.NOT_SELECTED,
        reason_code=Application.Reason.QUOTA_FULL,
    )
    decisions.send_not_selected_emails(application_ids=[application.pk])
    reminders.send_deadline_reminders(now=wib(2021, 10, 14, 9, 0))
    sweep.notify_revoked(participant_ids=[person.pk])
    steps.send_verification_email(
        user=person.user, verify_url=steps.verification_url(user=person.user)
    )
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_services.submit_complaint(
            name="Siti",
            phone="+6281234567890",
            email="siti@contoh.id",
            category="registrasi",
            subcategory="nik_sudah_terdaftar",
            description="NIK saya sudah terdaftar oleh orang lain, mohon dicek.",
            attachment=None,
            attachment_type="",
            user=None,
        )
    complaint_notifications.send_ticket_email(complaint_id=complaint.pk)
    texts = [m.text for m in sms_outbox] + [m.body for m in mail.outbox]
    assert len(texts) >= 6
    with_links = [t for t in texts if links_in(t)]
    assert len(with_links) >= 4
    for text in with_links:
        assert_portal_links(text)
    assert sms.outbox is sms_outbox


@override_settings(PORTAL_URL="http://127.0.0.1:8000")
def test_the_default_portal_url_is_the_make_run_address():
    from prakerja import links

    assert links.portal_url_for("dashboard") == "http://127.0.0.1:8000/dasbor/"
