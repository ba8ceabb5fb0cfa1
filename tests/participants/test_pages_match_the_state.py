"""Each page says what fits the person's state, with a next step: the dashboard after the first
training is finished and reviewed, the balance page of an expired balance, and the basic test
page after passing."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from participants.cards import deadlines, expiry
from participants.models import Participant, Wave
from tests.factories import ParticipantFactory, make_active_participant
from tests.incentives.helpers import complete_first_training

pytestmark = pytest.mark.django_db

WIB = deadlines.WIB
STALE_STEP = "Selesaikan pelatihan Anda, lalu beri rating"


def page(client, participant, name: str) -> str:
    client.force_login(participant.user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def bought(now=None) -> Participant:
    now = now or timezone.now()
    participant = make_active_participant(now=now)
    Participant.objects.filter(pk=participant.pk).update(first_purchase_at=now)
    participant.refresh_from_db()
    return participant


def test_after_finishing_and_reviewing_the_dashboard_points_to_the_incentive(client):
    participant = bought()
    complete_first_training(participant, now=timezone.now(), reviewed=True)
    body = page(client, participant, "dashboard")
    assert STALE_STEP not in body
    assert "ulasan sudah Anda berikan" in body
    assert reverse("incentives:history") in body


def test_after_finishing_without_a_review_the_dashboard_asks_for_the_review(client):
    participant = bought()
    complete_first_training(participant, now=timezone.now(), reviewed=False)
    body = page(client, participant, "dashboard")
    assert "Beri rating dan ulasan" in body
    assert reverse("trainings:my_trainings") in body


def test_before_finishing_the_dashboard_says_to_finish_the_training(client):
    participant = bought()
    body = page(client, participant, "dashboard")
    assert "Selesaikan pelatihan pertama Anda" in body
    assert reverse("trainings:my_trainings") in body


def test_the_balance_page_of_an_expired_balance_names_no_purchase_deadline(client):
    # Announced 10 November: the deadline 9 December; frozen and given 15 days back, it moved
    # to 24 December, after the 15 December expiry.
    announced = dt.datetime(2026, 11, 10, 10, 0, tzinfo=WIB)
    wave = Wave.objects.create(
        number=3,
        opens_at=announced - dt.timedelta(days=9),
        closes_at=announced - dt.timedelta(days=2),
        announces_at=announced,
        quota_total=10,
    )
    participant = make_active_participant(now=announced, wave=wave)
    Participant.objects.filter(pk=participant.pk).update(
        first_purchase_deadline=dt.datetime(2026, 12, 24, 23, 59, 59, tzinfo=WIB),
        deadline_extended_days=15,
    )
    with time_machine.travel(dt.datetime(2026, 12, 16, 0, 20, tzinfo=WIB), tick=False):
        expiry.expire_balances()
        participant.refresh_from_db()
        assert participant.status == Participant.Status.EXPIRED
        body = page(client, participant, "trainings:balance")
    assert "Batas beli pelatihan pertama" not in body
    assert "24 Desember 2026" not in body
    assert "Kedaluwarsa pada" in body
    assert "15 Desember 2026" in body


def test_the_basic_test_page_after_passing_shows_the_way_on(client):
    participant = ParticipantFactory()  # profile complete, test passed, no wave yet
    body = page(client, participant, "basic_test")
    assert "Anda sudah lulus tes ini" in body
    assert 'id="langkah-berikutnya"' in body
    assert reverse("dashboard") in body.split('id="langkah-berikutnya"')[1]
