"""Corrections of decisive profile fields (docs/privacy.md, README "Staff actions"): the page shows
and takes only the fields the staff member may see, a refusal never repeats a hidden value, every
attempt leaves an audit row (refused ones and those that change nothing too), the decision
history shows hidden values only to those who may see them, and a declaration changes only when a
second staff member approves it (never to "unknown"). Through the real admin forms, as the demo
superuser and as an officer with exactly the README's permissions."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from participants.admin.people import PARTICIPANT_OFFICER_PERMISSIONS
from participants.models import District, Participant, ParticipantEvent, ProfileCorrection
from participants.registration.areas import load_areas
from tests.admin_forms import rendered_form
from tests.factories import ParticipantFactory, UserFactory
from tests.staff import staff_with

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1995, 6, 15)


@pytest.fixture
def officer():
    return staff_with(PARTICIPANT_OFFICER_PERMISSIONS, "petugas@prakerja.local")


@pytest.fixture
def second_officer():
    return staff_with(PARTICIPANT_OFFICER_PERMISSIONS, "petugas2@prakerja.local")


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")


@pytest.fixture
def person():
    load_areas(provinces=["32"])
    district = District.objects.select_related("regency").get(code="320101")
    return ParticipantFactory(
        birth_date=BIRTH,
        gender="M",
        district=district,
        regency=district.regency,
        address="Jl. Melati No. 7",
        is_student=False,
    )


def correction_url(person) -> str:
    return reverse("admin:participants_participant_correct", args=[person.pk])


def giveaways(person) -> list[str]:
    nik = person._nik
    return [nik[:4], nik[:6], nik[6:12], BIRTH.isoformat(), "CIBINONG", "Melati"]


def post_correction(client, person, **changes):
    """GET the correction page, then POST what the browser would, with ``changes``."""
    page = client.get(correction_url(person))
    assert page.status_code == 200
    data = rendered_form(page.content.decode(), "correction-form")
    for name, value in changes.items():
        data[name] = [value]
    return client.post(correction_url(person), data, follow=True)


def body(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def attempts(person, code: str) -> list[ParticipantEvent]:
    return list(ParticipantEvent.objects.filter(participant=person, reason_code=code))


# --- the correction page leaks nothing the officer may not see ------------------------------------


def test_an_officer_without_the_full_nik_sees_no_hidden_value_on_the_correction_page(
    client, officer, person
):
    client.force_login(officer)
    page = client.get(correction_url(person)).content.decode()
    for giveaway in giveaways(person):
        assert giveaway not in page, giveaway
    for name in ("birth_date", "gender", "district"):
        assert f'name="{name}"' not in page, name


def test_a_forged_post_of_a_hidden_field_is_refused_alike_for_right_and_wrong_values_and_audited(
    client, officer, person
):
    """Trial and error finds nothing: the right birth date and a wrong one get the same answer,
    nothing changes, and each try is in the decision history."""
    client.force_login(officer)
    right = post_correction(client, person, birth_date=BIRTH.isoformat(), reason="cek")
    wrong = post_correction(client, person, birth_date="1990-01-01", reason="cek")
    assert body(right) == body(wrong)
    assert "tidak berwenang" in body(right)
    assert "data dikoreksi" not in body(right)
    for giveaway in giveaways(person):
        assert giveaway not in body(right), giveaway
    person.refresh_from_db()
    assert person.birth_date == BIRTH
    refused = attempts(person, "profile_correction_refused")
    assert len(refused) == 2
    assert {(e.field, e.actor, e.old_value, e.new_value) for e in refused} == {
        ("birth_date", officer, "", "")
    }


def test_a_refused_correction_does_not_repeat_the_nik(client, superuser, person):
    client.force_login(superuser)
    other = District.objects.exclude(code="320101").first()
    page = post_correction(client, person, district=other.code, reason="cek")
    text = body(page)
    assert "tidak sesuai" in text
    message = re.search(r'<p class="errornote">(.*?)</p>', text, re.S).group(1)
    assert person._nik[:6] not in message
    assert not re.search(r"\d{4}", message), message
    (refused,) = attempts(person, "profile_correction_refused")
    assert (refused.field, refused.note.splitlines()[-1]) == ("district", "nik_district_mismatch")


@pytest.mark.parametrize("who", ["superuser", "officer"])
def test_a_correction_that_changes_nothing_is_audited(client, request, who, person):
    staff = request.getfixturevalue(who)
    client.force_login(staff)
    page = post_correction(client, person, reason="Periksa ulang")
    assert "0 data dikoreksi" in body(page)
    (row,) = attempts(person, "profile_correction_unchanged")
    assert (row.actor, row.note) == (staff, "Periksa ulang")


def test_view_only_staff_do_not_see_old_and_new_hidden_values_in_the_history(
    client, superuser, person
):
    client.force_login(superuser)
    Participant.objects.filter(pk=person.pk).update(birth_date=dt.date(2001, 2, 3))
    page = post_correction(client, person, birth_date=BIRTH.isoformat(), reason="Sesuai KTP")
    assert "1 data dikoreksi" in body(page)
    change = reverse("admin:participants_participant_change", args=[person.pk])
    assert "2001-02-03" in client.get(change).content.decode()
    viewer = staff_with(["participants.view_participant"], "lihat@prakerja.local")
    client.force_login(viewer)
    history = client.get(change).content.decode()
    assert "Sesuai KTP" in history
    for value in ("2001-02-03", BIRTH.isoformat(), "3 Februari 2001", "15 Juni 1995"):
        assert value not in history, value


# --- four eyes on declarations; "unknown" is refused; the priority tier is not corrected by hand --


@pytest.mark.parametrize("who", ["superuser", "officer"])
def test_a_declaration_correction_waits_for_a_second_staff_member(
    client, request, who, second_officer, person
):
    staff = request.getfixturevalue(who)
    client.force_login(staff)
    page = post_correction(client, person, is_student="true", reason="Surat keterangan kampus")
    assert "menunggu persetujuan" in body(page)
    person.refresh_from_db()
    assert person.is_student is False
    pending = ProfileCorrection.objects.get(participant=person)
    assert (pending.field, pending.old_value, pending.new_value, pending.requested_by) == (
        "is_student",
        "false",
        "true",
        staff,
    )
    changelist = reverse("admin:participants_profilecorrection_changelist")
    approve = {"action": "approve_corrections", "_selected_action": [pending.pk]}
    # The one who asked cannot approve.
    own = client.post(changelist, {**approve, "apply": "1", "reason": "ok"}, follow=True)
    assert "petugas lain" in body(own)
    person.refresh_from_db()
    assert person.is_student is False
    # Another staff member approves through the action's reason page.
    client.force_login(second_officer)
    asked = client.post(changelist, approve)
    assert "Alasan" in body(asked)
    done = client.post(changelist, {**approve, "apply": "1", "reason": "Dokumen sah"}, follow=True)
    assert "1 koreksi disetujui" in body(done)
    person.refresh_from_db()
    assert person.is_student is True
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", second_officer)
    event = ParticipantEvent.objects.get(participant=person, reason_code="profile_corrected")
    assert (event.field, event.old_value, event.new_value, event.actor) == (
        "is_student",
        "false",
        "true",
        second_officer,
    )


def test_a_declaration_correction_can_be_rejected_by_a_second_staff_member(
    client, officer, second_officer, person
):
    client.force_login(officer)
    post_correction(client, person, receives_social_aid="true", reason="Laporan warga")
    pending = ProfileCorrection.objects.get(participant=person)
    client.force_login(second_officer)
    changelist = reverse("admin:participants_profilecorrection_changelist")
    done = client.post(
        changelist,
        {
            "action": "reject_corrections",
            "_selected_action": [pending.pk],
            "apply": "1",
            "reason": "Bukti tidak cukup",
        },
        follow=True,
    )
    assert "1 koreksi ditolak" in body(done)
    person.refresh_from_db()
    assert person.receives_social_aid is False
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decision_note) == (
        "rejected",
        second_officer,
        "Bukti tidak cukup",
    )


@pytest.mark.parametrize("who", ["superuser", "officer"])
def test_unknown_is_refused_as_a_corrected_declaration(client, request, who, person):
    client.force_login(request.getfixturevalue(who))
    page = post_correction(client, person, is_student="", reason="tidak tahu")
    assert "tidak diketahui" in body(page)
    person.refresh_from_db()
    assert person.is_student is False
    assert not ProfileCorrection.objects.exists()
    assert len(attempts(person, "profile_correction_refused")) == 1


@pytest.mark.parametrize("who", ["superuser", "officer"])
def test_the_priority_tier_is_not_corrected_by_hand(client, request, who, person):
    client.force_login(request.getfixturevalue(who))
    page = client.get(correction_url(person)).content.decode()
    assert 'name="priority_tier"' not in page
    post_correction(client, person, priority_tier="0", reason="titipan")
    assert not ProfileCorrection.objects.exists()
    assert not ParticipantEvent.objects.filter(
        participant=person, reason_code="profile_corrected"
    ).exists()
