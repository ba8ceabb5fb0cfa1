"""Every participant state explains itself on the dashboard: what, why, what now, where to
complain (with the complaint category pre-filled)."""

import datetime as dt

import pytest
from django.urls import reverse

from participants import services
from participants.models import Application, Participant
from participants.services import LEGAL_BASIS_NO_FIRST_PURCHASE
from tests.factories import ParticipantFactory, WaveFactory, make_active_participant

pytestmark = pytest.mark.django_db


def dashboard(client, participant) -> str:
    client.force_login(participant.user)
    return client.get(reverse("dashboard")).content.decode()


def test_a_revoked_person_sees_why_the_lifetime_blacklist_its_legal_basis_and_how_to_complain(
    client,
):
    participant = make_active_participant()
    services.revoke_participation(
        participant=participant,
        reason_code="no_first_purchase",
        legal_basis=LEGAL_BASIS_NO_FIRST_PURCHASE,
    )
    Application.objects.create(
        participant=participant,
        wave=participant.wave,
        joined_at=participant.wave.opens_at,
        status=Application.Status.SELECTED,
    )
    body = dashboard(client, participant)
    assert 'id="penjelasan"' in body
    assert "Tidak membeli pelatihan pertama dalam 30 hari" in body
    assert "daftar hitam program seumur hidup" in body
    assert LEGAL_BASIS_NO_FIRST_PURCHASE in body
    assert "Lolos, kemudian kepesertaan dicabut" in body
    assert reverse("complaints:file") + "?kategori=lainnya%3A" in body


def test_a_frozen_person_sees_the_freeze_its_reason_and_that_it_is_reversible(client):
    participant = make_active_participant()
    services.freeze_card(
        participant=participant,
        reason="INTERNAL: pelapor Pak RT, lihat tiket 12",
        participant_reason="Laporan penyalahgunaan kartu sedang diperiksa.",
        actor=None,
    )
    body = dashboard(client, participant)
    assert "Kartu dibekukan" in body
    assert "Laporan penyalahgunaan kartu sedang diperiksa." in body
    assert "INTERNAL" not in body and "Pak RT" not in body
    assert "Saldo Anda tidak hilang" in body
    assert 'id="ajukan-pengaduan"' in body


def test_an_expired_person_is_told_it_is_not_a_revocation_and_no_blacklist(client):
    participant = make_active_participant()
    services.transition_status(
        participant=participant, to=Participant.Status.EXPIRED, reason_code="balance_expired"
    )
    body = dashboard(client, participant)
    assert "Saldo kedaluwarsa" in body
    assert "bukan pencabutan" in body
    assert "tidak masuk daftar hitam" in body
    assert "?kategori=pembelian%3A" in body


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Application.Status.JOINED, "Tunggu pengumuman pada"),
        (Application.Status.NOT_SELECTED, "Gabung lagi pada gelombang berikutnya"),
    ],
)
def test_waiting_and_not_selected_people_see_what_happens_next(client, status, expected):
    participant = ParticipantFactory()
    now = dt.datetime.now(dt.UTC)
    wave = WaveFactory(
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=1),
        announces_at=now + dt.timedelta(days=2),
    )
    Application.objects.create(
        participant=participant,
        wave=wave,
        joined_at=now,
        status=status,
        reason_code=Application.Reason.QUOTA_FULL if status == "not_selected" else "",
    )
    body = dashboard(client, participant)
    assert 'id="penjelasan"' in body
    assert expected in body


def test_the_complaint_link_pre_fills_the_category(client):
    body = client.get(reverse("complaints:file") + "?kategori=pembelian:").content.decode()
    assert '<option value="pembelian:" selected>' in body
    unknown = client.get(reverse("complaints:file") + "?kategori=bukan:ada").content.decode()
    assert '<option value="pembelian:" selected>' not in unknown
    assert '<option value="" selected>' in unknown
