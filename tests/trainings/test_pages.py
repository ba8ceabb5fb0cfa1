"""The participant training pages: "Rekomendasi Pelatihan" and the balance page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from participants import services as participant_services
from participants.models import LedgerEntry
from tests.factories import (
    OfferingFactory,
    ParticipantFactory,
    PlatformFactory,
    ProviderFactory,
    TrainingFactory,
    make_active_participant,
)
from trainings import selectors

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=WIB)
RECOMMENDATIONS = reverse("trainings:recommendations")
BALANCE = reverse("trainings:balance")


@pytest.fixture
def catalog():
    tokopedia = PlatformFactory(code="tokopedia", name="Tokopedia")
    pijar = PlatformFactory(code="pijarmahir", name="Pijar Mahir")
    barista = TrainingFactory(
        title="Menjadi Barista Profesional", category="Kuliner", price_idr=500_000
    )
    excel = TrainingFactory(
        title="Microsoft Excel untuk Administrasi", category="Administrasi", price_idr=150_000
    )
    OfferingFactory(training=barista, platform=tokopedia, price_idr=500_000, code="tp-barista")
    OfferingFactory(training=barista, platform=pijar, price_idr=450_000, code="pm-barista")
    OfferingFactory(training=excel, platform=pijar, price_idr=150_000, code="pm-excel")
    return {"barista": barista, "excel": excel, "tokopedia": tokopedia, "pijar": pijar}


# --- Rekomendasi Pelatihan -----------------------------------------------------------------------


def test_each_training_lists_its_platforms_with_price_and_buy_link(client, catalog):
    response = client.get(RECOMMENDATIONS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Menjadi Barista Profesional" in page
    assert "Microsoft Excel untuk Administrasi" in page
    assert 'href="https://tokopedia.example/tp-barista"' in page
    assert 'href="https://pijarmahir.example/pm-barista"' in page
    assert "Rp450.000" in page and "Rp500.000" in page
    assert page.count("Beli Pelatihan</a>") == 3


def test_platforms_are_listed_cheapest_first(catalog):
    barista = selectors.search_trainings(query="barista").get()

    assert [o.platform.code for o in barista.sold_on] == ["pijarmahir", "tokopedia"]


def test_search_by_keyword_is_case_insensitive_and_matches_the_provider(client, catalog):
    catalog["excel"].provider.name = "Arkademi"
    catalog["excel"].provider.save()

    by_title = client.get(RECOMMENDATIONS, {"q": "BARISTA"}).content.decode()
    by_provider = client.get(RECOMMENDATIONS, {"q": "arkademi"}).content.decode()

    assert "Menjadi Barista Profesional" in by_title
    assert "Microsoft Excel" not in by_title
    assert "Microsoft Excel" in by_provider
    assert "Barista" not in by_provider


def test_search_by_category(client, catalog):
    page = client.get(RECOMMENDATIONS, {"category": "Administrasi"}).content.decode()

    assert "Microsoft Excel untuk Administrasi" in page
    assert "Menjadi Barista Profesional" not in page
    assert '<option value="Kuliner">Kuliner</option>' in page


def test_unknown_category_is_ignored_not_an_error(client, catalog):
    response = client.get(RECOMMENDATIONS, {"category": "Tidak Ada", "q": "excel"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Microsoft Excel untuk Administrasi" in page
    assert "Menjadi Barista Profesional" not in page


def test_inactive_offerings_and_trainings_without_a_seller_are_not_shown(client, catalog):
    catalog["excel"].offerings.update(is_active=False)
    catalog["barista"].offerings.filter(platform=catalog["tokopedia"]).update(is_active=False)
    TrainingFactory(title="Pelatihan Tanpa Platform")

    page = client.get(RECOMMENDATIONS).content.decode()

    assert "Microsoft Excel" not in page
    assert "Pelatihan Tanpa Platform" not in page
    assert "tp-barista" not in page
    assert "pm-barista" in page


def test_results_are_paginated_and_keep_the_search(client):
    platform = PlatformFactory()
    for n in range(23):
        OfferingFactory(
            training=TrainingFactory(title=f"Kursus Menjahit {n:02d}"), platform=platform
        )
    OfferingFactory(training=TrainingFactory(title="Kursus Memasak"), platform=platform)

    first = client.get(RECOMMENDATIONS, {"q": "menjahit"}).content.decode()
    third = client.get(RECOMMENDATIONS, {"q": "menjahit", "page": 3}).content.decode()

    assert "23 pelatihan ditemukan" in first
    assert "Kursus Menjahit 00" in first and "Kursus Menjahit 10" not in first
    assert "Halaman 1 dari 3" in first
    assert 'href="?q=menjahit&amp;page=2"' in first
    assert "Kursus Menjahit 22" in third and "Kursus Menjahit 19" not in third
    assert "Kursus Memasak" not in first + third


def test_recommendations_page_query_count_does_not_grow_with_results(
    client, django_assert_max_num_queries
):
    platforms = [PlatformFactory() for _ in range(3)]
    for n in range(30):
        training = TrainingFactory(title=f"Pelatihan {n:02d}", provider=ProviderFactory())
        for platform in platforms:
            OfferingFactory(training=training, platform=platform)
    participant = make_active_participant()
    client.force_login(participant.user)

    # session, user, categories, count, page of trainings with providers, their offerings;
    # for a participant also the participant and whether a training is still open (the purchase
    # rules decide whether "Beli Pelatihan" is offered)
    with django_assert_max_num_queries(8):
        response = client.get(RECOMMENDATIONS, {"q": "pelatihan"})

    assert response.content.decode().count("Beli Pelatihan</a>") == 30


# --- Saldo ---------------------------------------------------------------------------------------


def test_balance_page_needs_login(client):
    response = client.get(BALANCE)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@time_machine.travel(NOW, tick=False)
def test_balance_page_shows_balance_expiry_deadline_and_the_ledger_in_indonesian(
    client, django_assert_max_num_queries
):
    participant = make_active_participant(now=NOW)
    client.force_login(participant.user)

    with django_assert_max_num_queries(5):
        response = client.get(BALANCE)

    page = response.content.decode()
    assert "Rp1.000.000" in page
    assert "15 Desember 2026, 23:59 WIB" in page
    # announced yesterday (9 March): day 30 is 7 April 2026, 23:59 WIB
    assert "Batas beli pelatihan pertama" in page
    assert "7 April 2026, 23:59 WIB" in page
    assert "Saldo pelatihan diberikan" in page
    assert "+Rp1.000.000" in page


@time_machine.travel(NOW, tick=False)
def test_balance_page_lists_forfeit_after_revocation_without_a_deadline(client):
    participant = make_active_participant(now=NOW)
    participant_services.revoke_participation(participant=participant, reason_code="fraud")
    client.force_login(participant.user)

    page = client.get(BALANCE).content.decode()

    assert "Saldo hangus (kepesertaan dicabut)" in page
    assert "−Rp1.000.000" in page
    assert "Batas beli pelatihan pertama" not in page
    assert LedgerEntry.objects.filter(participant=participant).count() == 2


def test_balance_page_of_an_account_without_participant_record(client, django_user_model):
    user = django_user_model.objects.create_user(email="staf@contoh.id", full_name="Staf")
    client.force_login(user)

    response = client.get(BALANCE)

    assert response.status_code == 200
    assert "belum memiliki data peserta" in response.content.decode()


def test_balance_of_an_applicant_is_zero_with_empty_history(client):
    participant = ParticipantFactory()
    client.force_login(participant.user)

    page = client.get(BALANCE).content.decode()

    assert "Rp0" in page
    assert "Belum ada mutasi saldo" in page


def test_dashboard_section_links_the_training_pages():
    from django.template.loader import render_to_string

    html = render_to_string("trainings/_dashboard_links.html")

    for name in ("recommendations", "my_trainings", "balance"):
        assert f'href="{reverse(f"trainings:{name}")}"' in html


def test_nav_links_the_training_pages_for_logged_in_users(client):
    participant = ParticipantFactory()
    client.force_login(participant.user)

    page = client.get(RECOMMENDATIONS).content.decode()

    assert f'href="{reverse("trainings:my_trainings")}">Pelatihan Saya</a>' in page
    assert f'href="{BALANCE}">Saldo</a>' in page
