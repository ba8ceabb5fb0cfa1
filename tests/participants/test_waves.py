"""Joining a wave ("Gabung") and the status labels."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse

from participants import services
from participants.models import Application, DomainError, Participant
from participants.waves import joining
from participants.waves.labels import application_label
from tests.factories import ParticipantFactory, WaveFactory, make_active_participant

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)


def open_wave(**kwargs):
    return WaveFactory(
        opens_at=NOW - dt.timedelta(days=1), closes_at=NOW + dt.timedelta(days=6), **kwargs
    )


def refused(expected, **kwargs):
    with pytest.raises(DomainError) as exc:
        joining.join_wave(now=NOW, **kwargs)
    assert exc.value.code == expected, exc.value.code
    return exc.value


def test_a_complete_profile_joins_an_open_wave():
    participant, wave = ParticipantFactory(), open_wave()
    application = joining.join_wave(participant=participant, wave=wave, now=NOW)
    assert application.status == Application.Status.JOINED
    assert application_label(application, now=NOW).text == "Menunggu gelombang ditutup"
    assert participant.events.filter(reason_code="joined_wave").exists()


def test_joining_is_refused_before_opening_and_after_closing():
    participant = ParticipantFactory()
    early = WaveFactory(opens_at=NOW + dt.timedelta(hours=1), closes_at=NOW + dt.timedelta(days=2))
    late = WaveFactory(opens_at=NOW - dt.timedelta(days=7), closes_at=NOW)
    refused("wave_not_open", participant=participant, wave=early)
    refused("wave_not_open", participant=participant, wave=late)


def test_joining_twice_is_refused():
    participant, wave = ParticipantFactory(), open_wave()
    joining.join_wave(participant=participant, wave=wave, now=NOW)
    refused("already_joined", participant=participant, wave=wave)


def test_an_incomplete_profile_cannot_join():
    refused(
        "profile_incomplete", participant=ParticipantFactory(test_passed_at=None), wave=open_wave()
    )


def test_a_blacklisted_nik_cannot_join():
    participant = ParticipantFactory()
    services.add_to_blacklist(participant=participant, reason_code="fraud")
    exc = refused("blacklisted", participant=participant, wave=open_wave())
    assert str(exc.message) == "NIK Anda tercatat dalam daftar hitam program."


def test_a_past_participant_cannot_join_again():
    participant = make_active_participant()
    refused("already_participant", participant=participant, wave=open_wave())


def test_one_cannot_wait_in_two_waves():
    participant = ParticipantFactory()
    joining.join_wave(participant=participant, wave=open_wave(), now=NOW)
    refused("already_waiting", participant=participant, wave=open_wave())


def test_not_selected_may_join_a_later_wave_without_new_data():
    participant = ParticipantFactory()
    first = WaveFactory(opens_at=NOW - dt.timedelta(days=20), closes_at=NOW - dt.timedelta(days=9))
    Application.objects.create(
        participant=participant,
        wave=first,
        joined_at=first.opens_at,
        status=Application.Status.NOT_SELECTED,
        reason_code=Application.Reason.QUOTA_FULL,
    )
    application = joining.join_wave(participant=participant, wave=open_wave(), now=NOW)
    assert application.status == Application.Status.JOINED


def test_labels_follow_domain_md():
    participant = ParticipantFactory()
    closed = WaveFactory(opens_at=NOW - dt.timedelta(days=9), closes_at=NOW - dt.timedelta(days=1))
    application = Application.objects.create(participant=participant, wave=closed, joined_at=NOW)
    assert application_label(application, now=NOW).text == "Sedang diproses"
    application.status = Application.Status.NOT_SELECTED
    application.reason_code = Application.Reason.QUOTA_FULL
    label = application_label(application, now=NOW)
    assert label.text == "Belum berhasil"
    assert label.reason == "Kuota gelombang di provinsi Anda sudah terpenuhi."
    application.status = Application.Status.SELECTED
    assert application_label(application, now=NOW).text == "Lolos"


def test_join_button_on_the_dashboard(client):
    participant, wave = ParticipantFactory(), WaveFactory()
    client.force_login(participant.user)
    response = client.get(reverse("dashboard"))
    assert "Gabung" in response.content.decode()
    response = client.post(reverse("join_wave", args=[wave.number]), follow=True)
    body = response.content.decode()
    assert "Menunggu gelombang ditutup" in body
    assert Application.objects.filter(participant=participant, wave=wave).exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_joins_of_one_wave_one_succeeds():
    participant, wave = ParticipantFactory(), open_wave()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def join():
        try:
            barrier.wait()
            joining.join_wave(
                participant=Participant.objects.get(pk=participant.pk), wave=wave, now=NOW
            )
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=join) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_joined", "ok"]
    assert Application.objects.filter(participant=participant, wave=wave).count() == 1
