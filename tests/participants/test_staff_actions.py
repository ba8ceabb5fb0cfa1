"""Staff act on people only through audited actions with a reason: a fraud blacklist
stops the card, the fields that decide selection cannot be changed silently in the plain form,
and a frozen card cannot buy."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.admin import PARTICIPANT_OFFICER_PERMISSIONS
from participants.areas import load_areas
from participants.models import (
    BlacklistEntry,
    District,
    InvalidTransition,
    LedgerEntry,
    Participant,
    ParticipantEvent,
)
from participants.nik import InvalidNik
from tests.admin_forms import rendered_form
from tests.factories import ParticipantFactory, UserFactory, make_active_participant
from tests.trainings.partner import make_offering
from trainings import services as training_services
from trainings.models import RecoveredQuota
from trainings.services import errors as purchase_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")


def change_form_data(client, participant) -> dict:
    """The plain change form's current values, as the browser would post them back."""
    response = client.get(reverse("admin:participants_participant_change", args=[participant.pk]))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def test_a_fraud_blacklist_entry_added_in_the_admin_stops_the_card(client, superuser):
    card = make_active_participant()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:participants_blacklistentry_add"),
        {
            "participant": card.pk,
            "reason_code": "fraud",
            "note": "KTP orang lain",
            "participant_reason": "KTP yang Anda unggah milik orang lain.",
        },
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == Participant.Status.REVOKED
    assert card.balance_idr == 0
    assert BlacklistEntry.objects.filter(participant=card, reason_code="fraud").count() == 1
    offering = make_offering()
    with pytest.raises(purchase_errors.CardRevoked):
        training_services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id="1",
        )


def test_the_plain_change_form_cannot_change_who_gets_selected(client, superuser):
    participant = ParticipantFactory(is_student=False)
    client.force_login(superuser)
    data = change_form_data(client, participant)
    data.update(is_student="true", education="s1", birth_date="1990-01-01", gender="F")
    response = client.post(
        reverse("admin:participants_participant_change", args=[participant.pk]), data
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.is_student is False
    assert participant.education == "sma"
    assert participant.birth_date == dt.date(1995, 6, 15)
    assert participant.gender == "M"
    assert not ParticipantEvent.objects.filter(participant=participant).exists()


def test_a_frozen_card_cannot_start_a_payment():
    card = make_active_participant()
    Participant.objects.filter(pk=card.pk).update(status=Participant.Status.FROZEN)
    offering = make_offering()
    with pytest.raises(purchase_errors.DomainError) as caught:
        training_services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id="1",
        )
    assert caught.value.code == "card_frozen"


# --- services ------------------------------------------------------------------------------------


def test_freeze_then_lift_returns_the_card_to_its_status_with_audit_rows(superuser):
    card = make_active_participant()
    services.freeze_card(
        participant=card,
        reason="Laporan penipuan #12",
        participant_reason="Diperiksa petugas.",
        actor=superuser,
    )
    card.refresh_from_db()
    assert (card.status, card.frozen_from_status) == ("frozen", "active")
    services.lift_freeze(
        participant=card,
        reason="Laporan tidak terbukti",
        participant_reason="Diperiksa petugas.",
        actor=superuser,
    )
    card.refresh_from_db()
    assert (card.status, card.frozen_from_status) == ("active", "")
    rows = list(
        ParticipantEvent.objects.filter(participant=card, kind="status")
        .order_by("created_at", "id")
        .values_list("from_status", "to_status", "reason_code", "note", "actor")
    )
    assert rows == [
        ("active", "frozen", "card_frozen", "Laporan penipuan #12", superuser.pk),
        ("frozen", "active", "freeze_lifted", "Laporan tidak terbukti", superuser.pk),
    ]


def test_a_selected_card_frozen_returns_to_selected():
    # Built selected (not oriented): active -> selected is refused by the transition table.
    card = make_active_participant(status=Participant.Status.SELECTED, oriented_at=None)
    services.freeze_card(
        participant=card, reason="cek", participant_reason="Diperiksa petugas.", actor=None
    )
    services.lift_freeze(
        participant=card, reason="selesai", participant_reason="Diperiksa petugas.", actor=None
    )
    card.refresh_from_db()
    assert card.status == "selected"


def test_freeze_needs_a_reason_and_a_card():
    told = "Diperiksa petugas."
    with pytest.raises(services.ReasonRequired):
        services.freeze_card(
            participant=make_active_participant(), reason="  ", participant_reason=told, actor=None
        )
    with pytest.raises(services.ParticipantReasonRequired):
        services.freeze_card(
            participant=make_active_participant(), reason="x", participant_reason=" ", actor=None
        )
    with pytest.raises(InvalidTransition):
        services.freeze_card(
            participant=ParticipantFactory(), reason="x", participant_reason=told, actor=None
        )
    with pytest.raises(InvalidTransition):
        services.lift_freeze(
            participant=make_active_participant(), reason="x", participant_reason=told, actor=None
        )


def test_a_frozen_card_is_refused_at_the_debit_too():
    card = make_active_participant()
    services.freeze_card(
        participant=card, reason="cek", participant_reason="Diperiksa petugas.", actor=None
    )
    with pytest.raises(services.CardFrozen):
        services.debit_for_purchase(participant_id=card.pk, amount_idr=1, reference="x")


def test_revoke_for_fraud_blacklists_forfeits_and_returns_the_place(superuser):
    card = make_active_participant(province_id="32")
    services.freeze_card(
        participant=card, reason="cek", participant_reason="Diperiksa petugas.", actor=superuser
    )
    services.revoke_for_fraud(
        participant=card,
        reason="KTP palsu",
        participant_reason="Diperiksa petugas.",
        actor=superuser,
    )
    card.refresh_from_db()
    assert (card.status, card.revoke_reason, card.balance_idr) == ("revoked", "fraud", 0)
    entry = BlacklistEntry.objects.get(participant=card)
    assert (entry.reason_code, entry.note, entry.created_by) == ("fraud", "KTP palsu", superuser)
    pool = RecoveredQuota.objects.get(source_wave=card.wave, province_id="32")
    assert (pool.recovered, pool.allocated) == (1, 0)
    assert LedgerEntry.objects.filter(participant=card, kind="forfeit").count() == 1


def test_correcting_a_decisive_field_records_old_and_new_value(superuser):
    person = ParticipantFactory(education="sma", employment_status="unemployed")
    done = services.correct_profile(
        participant=person,
        changes={"education": "s1", "employment_status": "laid_off"},
        reason="Ijazah dan surat PHK",
        actor=superuser,
    )
    person.refresh_from_db()
    assert (person.education, person.employment_status) == ("s1", "laid_off")
    rows = sorted(
        (e.field, e.old_value, e.new_value, e.note, e.actor_id, e.kind) for e in done.events
    )
    assert rows == [
        ("education", "sma", "s1", "Ijazah dan surat PHK", superuser.pk, "profile"),
        (
            "employment_status",
            "unemployed",
            "laid_off",
            "Ijazah dan surat PHK",
            superuser.pk,
            "profile",
        ),
    ]
    assert done.pending == []


def test_a_birth_date_or_gender_against_the_nik_is_refused():
    person = ParticipantFactory(birth_date=dt.date(1995, 6, 15), gender="M")
    for changes in ({"birth_date": dt.date(1990, 1, 1)}, {"gender": "F"}):
        with pytest.raises(InvalidNik):
            services.correct_profile(participant=person, changes=changes, reason="x", actor=None)
    person.refresh_from_db()
    assert (person.birth_date, person.gender) == (dt.date(1995, 6, 15), "M")
    refused = ParticipantEvent.objects.filter(participant=person).values_list(
        "reason_code", "field"
    )
    assert sorted(refused) == [
        ("profile_correction_refused", "birth_date"),
        ("profile_correction_refused", "gender"),
    ]


def test_a_birth_date_drifted_from_the_nik_is_corrected_back():
    person = ParticipantFactory(birth_date=dt.date(1995, 6, 15))
    Participant.objects.filter(pk=person.pk).update(birth_date=dt.date(2001, 1, 1))
    (event,) = services.correct_profile(
        participant=person, changes={"birth_date": dt.date(1995, 6, 15)}, reason="KTP", actor=None
    ).events
    assert (event.old_value, event.new_value) == ("2001-01-01", "1995-06-15")


def test_a_district_brings_its_regency_and_province_and_must_match_the_nik():
    load_areas(provinces=["31", "32"])
    person = ParticipantFactory()  # NIK issued in 320101
    other = District.objects.exclude(code="320101").filter(regency__province_id="31").first()
    with pytest.raises(InvalidNik):
        services.correct_profile(
            participant=person, changes={"district": other}, reason="x", actor=None
        )
    done = services.correct_profile(
        participant=person,
        changes={"district": District.objects.get(code="320101")},
        reason="Sesuai KTP",
        actor=None,
    )
    assert [e.field for e in done.events] == ["district"]
    person.refresh_from_db()
    assert (person.district_id, person.regency_id, person.province_id) == ("320101", "3201", "32")


def test_only_decisive_fields_can_be_corrected():
    for changes in ({"status": "active"}, {"priority_tier": 0}):
        with pytest.raises(services.profile.FieldNotCorrectable):
            services.correct_profile(
                participant=ParticipantFactory(), changes=changes, reason="x", actor=None
            )


# --- the admin actions, as the demo superuser and as an officer with the documented permissions --

OFFICER_PERMISSIONS = [name.split(".")[1] for name in PARTICIPANT_OFFICER_PERMISSIONS]


@pytest.fixture
def officer():
    user = UserFactory(is_staff=True, email="petugas@prakerja.local")
    user.user_permissions.add(*Permission.objects.filter(codename__in=OFFICER_PERMISSIONS))
    return user


@pytest.fixture(params=["superuser", "officer"])
def staff(request):
    return request.getfixturevalue(request.param)


def run_action(client, action, participants, reason=None):
    data = {"action": action, "_selected_action": [p.pk for p in participants]}
    if reason is not None:
        data.update(apply="1", reason=reason, participant_reason="Kartu Anda sedang diperiksa.")
    return client.post(reverse("admin:participants_participant_changelist"), data, follow=True)


def test_freeze_and_lift_through_the_admin_ask_a_reason(client, staff):
    card, applicant = make_active_participant(), ParticipantFactory()
    client.force_login(staff)
    page = run_action(client, "freeze_cards", [card, applicant])
    assert "Alasan" in page.content.decode()
    card.refresh_from_db()
    assert card.status == "active"
    page = run_action(client, "freeze_cards", [card, applicant], reason="Laporan #7")
    messages_ = [str(m) for m in page.context["messages"]]
    assert "1 kartu dibekukan." in messages_
    assert any("1 peserta dilewati" in m for m in messages_)
    card.refresh_from_db()
    assert card.status == "frozen"
    page = run_action(client, "lift_freezes", [card], reason="Tidak terbukti")
    card.refresh_from_db()
    assert card.status == "active"
    event = ParticipantEvent.objects.filter(participant=card).first()
    assert (event.reason_code, event.note, event.actor) == (
        "freeze_lifted",
        "Tidak terbukti",
        staff,
    )


def test_lifting_a_freeze_in_the_admin_gives_the_frozen_days_back(client, staff):
    frozen_at = timezone.now()
    card = make_active_participant(now=frozen_at)
    deadline = card.first_purchase_deadline
    client.force_login(staff)
    with time_machine.travel(frozen_at, tick=False):
        run_action(client, "freeze_cards", [card], reason="Laporan #8")
    with time_machine.travel(frozen_at + dt.timedelta(days=5), tick=False):
        client.force_login(staff)  # five days on, the staff session of the freeze has expired
        run_action(client, "lift_freezes", [card], reason="Tidak terbukti")
    card.refresh_from_db()
    assert card.status == "active"
    assert card.first_purchase_deadline == deadline + dt.timedelta(days=5)
    assert card.deadline_extended_days == 5
    row = ParticipantEvent.objects.get(participant=card, field="first_purchase_deadline")
    assert (row.actor, row.note) == (staff, "Tidak terbukti")


def test_revoke_for_fraud_through_the_admin(client, staff):
    card = make_active_participant()
    client.force_login(staff)
    page = run_action(client, "revoke_for_fraud", [card], reason="Joki tes")
    assert "1 kepesertaan dicabut" in page.content.decode()
    card.refresh_from_db()
    assert (card.status, card.revoke_reason) == ("revoked", "fraud")
    assert BlacklistEntry.objects.get(participant=card).created_by == staff


def test_correct_a_profile_field_through_the_admin(client, staff):
    person = ParticipantFactory(employment_status="unemployed")
    client.force_login(staff)
    page = run_action(client, "correct_profile", [person])
    url = reverse("admin:participants_participant_correct", args=[person.pk])
    assert page.redirect_chain[-1][0] == url
    data = rendered_form(page.content.decode(), "correction-form")
    data.update(employment_status=["laid_off"], reason=["Daftar PHK Kemnaker"])
    page = client.post(url, data, follow=True)
    assert "1 data dikoreksi" in page.content.decode()
    person.refresh_from_db()
    assert person.employment_status == "laid_off"
    event = ParticipantEvent.objects.get(participant=person)
    assert (event.field, event.old_value, event.new_value, event.actor) == (
        "employment_status",
        "unemployed",
        "laid_off",
        staff,
    )
    body = client.get(reverse("admin:participants_participant_change", args=[person.pk]))
    assert "Daftar PHK Kemnaker" in body.content.decode()


def test_a_correction_against_the_nik_shows_the_error(client, superuser):
    person = ParticipantFactory()
    client.force_login(superuser)
    url = reverse("admin:participants_participant_correct", args=[person.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(birth_date="1990-01-01", reason="x")
    page = client.post(url, data)
    assert page.status_code == 200
    assert "tidak sesuai dengan tanggal lahir pada NIK" in page.content.decode()


def test_without_the_permissions_there_are_no_actions(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_participant"))
    person = ParticipantFactory()
    client.force_login(viewer)
    page = client.get(reverse("admin:participants_participant_changelist"))
    assert "freeze_cards" not in page.content.decode()
    url = reverse("admin:participants_participant_correct", args=[person.pk])
    assert client.get(url).status_code == 403


def test_blacklisting_a_card_holder_needs_the_revoke_permission(client):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_blacklistentry", "add_blacklistentry"])
    )
    card = make_active_participant()
    client.force_login(clerk)
    page = client.post(
        reverse("admin:participants_blacklistentry_add"),
        {"participant": card.pk, "reason_code": "fraud", "note": "x"},
    )
    assert page.status_code == 200
    assert "tidak berwenang mencabut" in page.content.decode()
    card.refresh_from_db()
    assert card.status == "active"
