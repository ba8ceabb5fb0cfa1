"""Pages do not offer an action the person can no longer take, and say what they wait for."""

import pytest
from django.urls import reverse
from django.utils import timezone

from incentives.services import ensure_default_surveys
from participants import services
from participants.demo import seed_question_bank
from participants.models import Participant
from participants.registration import basic_test
from participants.services import LEGAL_BASIS_NO_FIRST_PURCHASE
from tests.factories import OfferingFactory, ParticipantFactory, make_active_participant

pytestmark = pytest.mark.django_db


def page(client, participant, name: str, **kwargs) -> str:
    client.force_login(participant.user)
    response = client.get(reverse(name, kwargs=kwargs or None))
    assert response.status_code == 200
    return response.content.decode()


def in_state(status: str) -> Participant:
    participant = make_active_participant()
    if status == "revoked":
        services.revoke_participation(
            participant=participant,
            reason_code="no_first_purchase",
            legal_basis=LEGAL_BASIS_NO_FIRST_PURCHASE,
        )
    elif status != "active":
        services.transition_status(participant=participant, to=status, reason_code="test")
    participant.refresh_from_db()
    return participant


@pytest.mark.parametrize("status", ["revoked", "frozen", "expired"])
def test_rekomendasi_offers_no_beli_pelatihan_to_who_cannot_buy_and_says_why(client, status):
    OfferingFactory()
    body = page(client, in_state(status), "trainings:recommendations")
    assert "Beli Pelatihan" not in body
    assert 'id="tidak-bisa-beli"' in body


def test_rekomendasi_shows_an_active_participant_the_remaining_balance_and_the_buy_links(client):
    OfferingFactory()
    body = page(client, in_state("active"), "trainings:recommendations")
    assert "Sisa saldo pelatihan Anda" in body
    assert "Rp1.000.000" in body
    assert "Beli Pelatihan" in body


def test_riwayat_insentif_offers_no_account_change_to_a_revoked_person(client):
    body = page(client, in_state("revoked"), "incentives:history")
    assert "Perbarui rekening" not in body
    assert 'id="rekening-tutup"' in body


def test_orientasi_does_not_tell_a_revoked_person_to_wait_for_selection(client):
    body = page(client, in_state("revoked"), "orientation")
    assert "setelah Anda dinyatakan lolos" not in body
    assert 'id="orientasi-tutup"' in body


def test_the_retry_time_shows_on_the_intro_page_after_a_failed_test(client):
    seed_question_bank()
    participant = ParticipantFactory(test_passed_at=None)
    attempt = basic_test.start_attempt(participant=participant)
    basic_test.submit_attempt(attempt=attempt, answers={})
    body = page(client, participant, "basic_test")
    assert 'id="ulang"' in body
    assert "Anda dapat mengulang tes mulai" in body
    assert "Mulai tes" not in body


def test_a_survey_not_open_yet_shows_no_form(client):
    ensure_default_surveys()
    body = page(client, in_state("active"), "incentives:survey", number=1)
    assert "Kirim jawaban" not in body
    assert 'id="survei-tutup"' in body
    assert "belum dibuka" in body
    assert timezone.now()  # the page answers at any time
