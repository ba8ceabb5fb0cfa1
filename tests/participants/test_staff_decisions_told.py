"""Staff decisions on a card (freeze, lift, revoke for fraud) are told to the person, by SMS and
email after commit, in words written for them: the internal note staff type for each other is
never shown to the person. Run through the real admin action pages, as the demo superuser and as
an officer with exactly the documented permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction
from django.urls import reverse

from participants import services
from participants.models import Participant, ParticipantEvent
from prakerja import sms
from tests.admin_forms import rendered_form
from tests.factories import UserFactory, make_active_participant

pytestmark = pytest.mark.django_db

INTERNAL = "INTERNAL: dilaporkan oleh tetangga, cek rekaman CCTV minggu depan"
FOR_PERSON = "Ada laporan bahwa kartu Anda dipakai orang lain; kami sedang memeriksanya."

OFFICER_PERMISSIONS = [  # README, "Staff permissions"
    "view_participant",
    "freeze_participant",
    "revoke_participant",
    "correct_profile",
    "view_blacklistentry",
    "add_blacklistentry",
]


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")


@pytest.fixture
def officer():
    user = UserFactory(is_staff=True, email="petugas@prakerja.local")
    user.user_permissions.add(*Permission.objects.filter(codename__in=OFFICER_PERMISSIONS))
    return user


@pytest.fixture(params=["superuser", "officer"])
def staff(request):
    return request.getfixturevalue(request.param)


def act(client, action: str, participant, **fields):
    """Choose the action on the changelist, then fill and submit the page it shows."""
    changelist = reverse("admin:participants_participant_changelist")
    page = client.post(changelist, {"action": action, "_selected_action": [participant.pk]})
    assert page.status_code == 200
    data = rendered_form(page.content.decode(), "action-reason-form")
    for name, value in fields.items():
        data[name] = [value]
    return client.post(changelist, data, follow=True)


def sms_to(outbox, participant) -> list[str]:
    return [m.text for m in outbox if m.to == sms.normalize_phone(participant.phone)]


def mails_to(participant) -> list:
    return [m for m in mail.outbox if participant.user.email in m.to]


def dashboard_of(client, participant) -> str:
    client.logout()
    client.force_login(participant.user)
    return client.get(reverse("dashboard")).content.decode()


def test_the_freeze_page_asks_an_internal_note_and_a_reason_for_the_person(client, staff):
    card = make_active_participant()
    client.force_login(staff)
    page = client.post(
        reverse("admin:participants_participant_changelist"),
        {"action": "freeze_cards", "_selected_action": [card.pk]},
    )
    fields = rendered_form(page.content.decode(), "action-reason-form")
    assert {"reason", "participant_reason"} <= fields.keys()
    text = page.content.decode()
    assert "Catatan internal" in text
    assert "Alasan untuk peserta" in text


def test_a_freeze_tells_the_person_in_their_words_never_the_internal_note(
    client, staff, sms_outbox, django_capture_on_commit_callbacks
):
    card = make_active_participant()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        page = act(client, "freeze_cards", card, reason=INTERNAL, participant_reason=FOR_PERSON)
    assert "1 kartu dibekukan." in [str(m) for m in page.context["messages"]]
    card.refresh_from_db()
    assert card.status == Participant.Status.FROZEN
    (text,) = sms_to(sms_outbox, card)
    assert "dibekukan" in text.lower() and FOR_PERSON in text and "INTERNAL" not in text
    (email,) = mails_to(card)
    assert FOR_PERSON in email.body and "INTERNAL" not in email.body
    assert "pengaduan" in email.body.lower()  # what they can do
    html = dashboard_of(client, card)
    assert FOR_PERSON in html
    assert "INTERNAL" not in html and "tetangga" not in html
    event = ParticipantEvent.objects.get(participant=card, to_status="frozen")
    assert (event.note, event.participant_reason, event.actor) == (INTERNAL, FOR_PERSON, staff)


def test_a_lift_tells_the_person_the_card_works_again(
    client, staff, sms_outbox, django_capture_on_commit_callbacks
):
    card = make_active_participant()
    services.freeze_card(
        participant=card, reason=INTERNAL, participant_reason=FOR_PERSON, actor=None
    )
    sms_outbox.clear()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        act(
            client,
            "lift_freezes",
            card,
            reason="INTERNAL: laporan tidak terbukti, pelapor salah orang",
            participant_reason="Pemeriksaan selesai dan tidak ditemukan pelanggaran.",
        )
    card.refresh_from_db()
    assert card.status == Participant.Status.ACTIVE
    (text,) = sms_to(sms_outbox, card)
    assert "dipulihkan" in text.lower() and "tidak ditemukan pelanggaran" in text
    assert "INTERNAL" not in text and "pelapor" not in text
    (email,) = mails_to(card)
    assert "dipulihkan" in email.body.lower() and "INTERNAL" not in email.body


def test_a_revocation_for_fraud_tells_the_person_why_and_what_they_can_do(
    client, staff, sms_outbox, django_capture_on_commit_callbacks
):
    card = make_active_participant()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        act(
            client,
            "revoke_for_fraud",
            card,
            reason="INTERNAL: joki tes, bukti di tiket 4411",
            participant_reason="Tes kemampuan dasar Anda dikerjakan oleh orang lain.",
        )
    card.refresh_from_db()
    assert card.status == Participant.Status.REVOKED
    (text,) = sms_to(sms_outbox, card)
    assert "dicabut" in text.lower() and "dikerjakan oleh orang lain" in text
    assert "INTERNAL" not in text and "4411" not in text
    (email,) = mails_to(card)
    assert "dikerjakan oleh orang lain" in email.body and "4411" not in email.body
    assert "pengaduan" in email.body.lower()
    html = dashboard_of(client, card)
    assert "dikerjakan oleh orang lain" in html and "4411" not in html


def test_both_fields_are_required_on_the_admin_page(client, staff):
    card = make_active_participant()
    client.force_login(staff)
    page = act(client, "freeze_cards", card, reason=INTERNAL, participant_reason="  ")
    assert page.status_code == 200
    card.refresh_from_db()
    assert card.status == Participant.Status.ACTIVE


def test_a_rolled_back_freeze_tells_nobody(sms_outbox, django_capture_on_commit_callbacks):
    card = make_active_participant()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.freeze_card(
            participant=card, reason=INTERNAL, participant_reason=FOR_PERSON, actor=None
        )
        transaction.set_rollback(True)
    assert sms_to(sms_outbox, card) == []
    assert mails_to(card) == []


def test_a_decision_is_told_once_even_if_its_task_runs_again(
    sms_outbox, django_capture_on_commit_callbacks
):
    from participants.tasks import notify_card_decision

    card = make_active_participant()
    with django_capture_on_commit_callbacks(execute=True):
        services.freeze_card(
            participant=card, reason=INTERNAL, participant_reason=FOR_PERSON, actor=None
        )
    event = ParticipantEvent.objects.get(participant=card, to_status="frozen")
    assert notify_card_decision(event.pk) == {"sms": 0, "email": 0, "failed": 0}
    assert len(sms_to(sms_outbox, card)) == 1
    assert len(mails_to(card)) == 1


def test_a_card_holder_blacklisted_in_the_admin_is_told_in_their_words(
    client, staff, sms_outbox, django_capture_on_commit_callbacks
):
    card = make_active_participant()
    client.force_login(staff)
    url = reverse("admin:participants_blacklistentry_add")
    data = rendered_form(client.get(url).content.decode(), "blacklistentry_form")
    assert "participant_reason" in data  # the page asks it
    data.update(
        participant=[str(card.pk)],
        reason_code=["fraud"],
        note=["INTERNAL: KTP orang lain, tiket 77"],
        participant_reason=["KTP yang Anda unggah milik orang lain."],
        _save=["Simpan"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    card.refresh_from_db()
    assert card.status == Participant.Status.REVOKED
    (text,) = sms_to(sms_outbox, card)
    assert "KTP yang Anda unggah milik orang lain." in text and "tiket 77" not in text
    html = dashboard_of(client, card)
    assert "KTP yang Anda unggah milik orang lain." in html and "tiket 77" not in html


def test_blacklisting_a_card_holder_needs_the_words_for_the_person(client, staff):
    card = make_active_participant()
    client.force_login(staff)
    url = reverse("admin:participants_blacklistentry_add")
    data = rendered_form(client.get(url).content.decode(), "blacklistentry_form")
    data.update(
        participant=[str(card.pk)], reason_code=["fraud"], note=["KTP palsu"], _save=["Simpan"]
    )
    response = client.post(url, data)
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.status == Participant.Status.ACTIVE
