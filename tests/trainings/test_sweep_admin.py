"""Staff screens of the sweep: blacklist add/remove through services (audited, NIK masked),
sweep runs, and opening an additional wave from the recovered pool."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from participants.models import BlacklistEntry, ParticipantEvent, Wave
from tests.factories import UserFactory
from tests.trainings.sweep_helpers import participant_in, wave_21, wib
from trainings import sweep
from trainings.models import RecoveredQuota

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_staff_add_a_fraud_entry_through_the_service_and_it_is_audited(client, staff):
    person = participant_in(wave_21())
    response = client.post(
        reverse("admin:participants_blacklistentry_add"),
        {"participant": person.pk, "reason_code": "fraud", "note": "KTP palsu"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BlacklistEntry.objects.get()
    assert (entry.nik_hash, entry.nik_masked) == (person.nik_hash, person.nik_masked)
    assert (entry.reason_code, entry.note, entry.created_by) == ("fraud", "KTP palsu", staff)
    event = ParticipantEvent.objects.get(participant=person, kind="blacklist")
    assert (event.reason_code, event.actor) == ("fraud", staff)
    assert LogEntry.objects.filter(object_id=str(entry.pk), user=staff).exists()


def test_a_second_entry_for_the_same_nik_is_refused_with_a_message(client, staff):
    person = participant_in(wave_21())
    url = reverse("admin:participants_blacklistentry_add")
    client.post(url, {"participant": person.pk, "reason_code": "fraud", "note": "1"})
    response = client.post(url, {"participant": person.pk, "reason_code": "fraud", "note": "2"})
    assert response.status_code == 200
    assert "sudah ada di daftar hitam" in response.content.decode()
    assert BlacklistEntry.objects.count() == 1


def test_removal_needs_a_reason_keeps_the_row_and_is_audited(client, staff):
    person = participant_in(wave_21())
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), notify=False)
    entry = BlacklistEntry.objects.get()
    url = reverse("admin:participants_blacklistentry_changelist")
    base = {"action": "remove_entries", "_selected_action": [entry.pk]}

    confirm = client.post(url, base)
    assert confirm.status_code == 200
    assert "Alasan penghapusan" in confirm.content.decode()

    no_reason = client.post(url, {**base, "apply": "1", "reason": "  "})
    assert no_reason.status_code == 200
    entry.refresh_from_db()
    assert entry.removed_at is None

    done = client.post(url, {**base, "apply": "1", "reason": "Putusan keberatan diterima"})
    assert done.status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at is not None
    assert (entry.removed_by, entry.removal_reason) == (staff, "Putusan keberatan diterima")
    event = ParticipantEvent.objects.get(participant=person, reason_code="removed")
    assert (event.actor, event.note) == (staff, "Putusan keberatan diterima")


def test_staff_without_the_permission_cannot_add_or_remove(client):
    viewer = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_blacklistentry"))
    client.force_login(viewer)
    assert client.get(reverse("admin:participants_blacklistentry_add")).status_code == 403
    page = client.get(reverse("admin:participants_blacklistentry_changelist"))
    assert page.status_code == 200
    assert "remove_entries" not in page.content.decode()


def test_the_blacklist_shows_niks_masked_and_finds_a_full_nik_by_its_hash(client, staff):
    person = participant_in(wave_21())
    other = participant_in(person.wave)
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), notify=False)
    url = reverse("admin:participants_blacklistentry_changelist")
    page = client.get(url).content.decode()
    assert person.nik_masked in page
    assert person._nik not in page
    found = client.get(url, {"q": person._nik}).content.decode()
    assert person.nik_masked in found
    assert other.nik_masked not in found


def test_sweep_runs_are_listed_with_their_counts(client, staff):
    participant_in(wave_21())
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), notify=False)
    page = client.get(reverse("admin:trainings_sweeprun_changelist"))
    assert page.status_code == 200
    assert "1000000" in page.content.decode().replace(".", "").replace(",", "")


def test_staff_open_an_additional_wave_from_the_recovered_pool(client, staff):
    wave = wave_21()
    for _ in range(3):
        participant_in(wave)
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), notify=False)
    changelist = client.get(reverse("admin:trainings_recoveredquota_changelist"))
    assert "Buka gelombang tambahan" in changelist.content.decode()
    url = reverse("admin:trainings_recoveredquota_open_wave")
    form = client.get(url)
    assert form.status_code == 200
    province = RecoveredQuota.objects.select_related("province").first().province
    # The pool is listed by province name, not by the bare code ("32").
    assert f"<td>{province.name}</td>" in form.content.decode()
    assert f"<td>{province.code}</td>" not in form.content.decode()
    data = {
        "number": 22,
        "opens_at": "2030-11-01T10:00",
        "closes_at": "2030-11-05T10:00",
        "announces_at": "2030-11-08T20:00",
        "program_year": 2030,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    added = Wave.objects.get(number=22)
    assert added.is_additional and added.quota_total == 3
    assert added.opens_at == wib(2030, 11, 1, 10)
    again = client.post(url, {**data, "number": 23})
    assert again.status_code == 200
    assert "Tidak ada kuota yang dipulihkan" in again.content.decode()
