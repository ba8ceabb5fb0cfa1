"""The dashboard: status label, wave history with reasons, next steps, deadline, balance."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from participants import services
from participants.models import Application
from tests.factories import ParticipantFactory, WaveFactory, make_active_participant

pytestmark = pytest.mark.django_db


def test_new_account_sees_the_next_steps(client, new_user, django_assert_max_num_queries):
    client.force_login(new_user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("dashboard"))
    body = response.content.decode()
    assert "Pendaftaran belum lengkap" in body
    assert reverse("identity") in body


def test_not_selected_sees_the_reason_in_the_history(client):
    participant = ParticipantFactory()
    wave = WaveFactory(
        opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        closes_at=dt.datetime(2026, 1, 8, tzinfo=dt.UTC),
        announces_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
    )
    Application.objects.create(
        participant=participant,
        wave=wave,
        joined_at=wave.opens_at,
        status=Application.Status.NOT_SELECTED,
        reason_code=Application.Reason.FAMILY_CARD_LIMIT,
    )
    client.force_login(participant.user)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Riwayat Gelombang" in body
    assert "Belum berhasil" in body
    assert "Sudah ada 2 penerima dalam satu Kartu Keluarga." in body


def test_active_participant_sees_deadline_in_wib_days_left_and_balance(client):
    announced = dt.datetime(2021, 9, 22, 13, 0, tzinfo=dt.UTC)  # 20:00 WIB, wave 21
    wave = WaveFactory(
        opens_at=announced - dt.timedelta(days=9),
        closes_at=announced - dt.timedelta(days=2),
        announces_at=announced,
    )
    with time_machine.travel(dt.datetime(2021, 10, 19, 3, 0, tzinfo=dt.UTC), tick=False):
        participant = make_active_participant(wave=wave)
        client.force_login(participant.user)
        body = client.get(reverse("dashboard")).content.decode()
    assert "21 Oktober 2021 23:59 WIB" in body
    assert "3 hari lagi" in body
    assert "Saldo berlaku sampai" in body
    assert "15 Desember 2021 23:59 WIB" in body
    assert "Rp1.000.000" in body
    assert participant.card_number in body


def test_revoked_participant_sees_date_and_reason(client):
    participant = make_active_participant()
    services.revoke_participation(participant=participant, reason_code="no_first_purchase")
    client.force_login(participant.user)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Kepesertaan dicabut" in body
    assert "Tidak membeli pelatihan pertama dalam 30 hari" in body


def test_dashboard_query_budget_with_history(client, django_assert_max_num_queries):
    participant = ParticipantFactory()
    for _ in range(5):
        wave = WaveFactory(
            opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            closes_at=dt.datetime(2026, 1, 8, tzinfo=dt.UTC),
            announces_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
        )
        Application.objects.create(
            participant=participant,
            wave=wave,
            joined_at=wave.opens_at,
            status=Application.Status.NOT_SELECTED,
            reason_code=Application.Reason.QUOTA_FULL,
        )
    client.force_login(participant.user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("dashboard"))
    assert response.content.decode().count("Belum berhasil") == 6  # 5 rows + the status


def test_staff_without_participant_record_sees_a_note(client, admin_user):
    client.force_login(admin_user)
    assert "belum memiliki data peserta" in client.get(reverse("dashboard")).content.decode()
