"""The training pages in a real browser at phone size: light, no console errors, usable
without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.factories import (
    DEFAULT_PASSWORD,
    OfferingFactory,
    PlatformFactory,
    TrainingFactory,
    make_active_participant,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_PAGE_BYTES = 50 * 1024


def login(page, live_server, participant, next_path: str) -> None:
    page.goto(f"{live_server.url}/masuk/?next={next_path}")
    page.get_by_label("Email").fill(participant.user.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.responses.clear()
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def test_recommendations_search_and_paging_without_javascript(browser, live_server):
    platforms = [PlatformFactory(name=n) for n in ("Tokopedia", "Pijar Mahir", "Sekolahmu")]
    for n in range(25):
        training = TrainingFactory(
            title=f"Digital Marketing Tingkat {n:02d}", category="Penjualan dan Pemasaran"
        )
        for platform in platforms:
            OfferingFactory(training=training, platform=platform)
    OfferingFactory(
        training=TrainingFactory(title="Menjadi Barista Profesional", category="Kuliner"),
        platform=platforms[0],
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="id-ID"
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/pelatihan/")
        page.get_by_label("Cari pelatihan").fill("barista")
        page.get_by_role("button", name="Cari").click()
        expect(page.get_by_role("heading", name="Menjadi Barista Profesional")).to_be_visible()
        expect(page.get_by_text("1 pelatihan ditemukan")).to_be_visible()
        page.goto(live_server.url + "/pelatihan/")
        page.get_by_label("Kategori").select_option("Penjualan dan Pemasaran")
        page.get_by_role("button", name="Cari").click()
        expect(page.get_by_text("25 pelatihan ditemukan")).to_be_visible()
        page.get_by_role("link", name="Berikutnya »").click()
        expect(page.get_by_text("Halaman 2 dari 3")).to_be_visible()
        assert page.get_by_label("Kategori").input_value() == "Penjualan dan Pemasaran"
    finally:
        context.close()


def test_recommendations_page_is_light_and_lists_buy_links(page, live_server):
    platforms = [PlatformFactory(name=n) for n in ("Tokopedia", "Pijar Mahir", "Sekolahmu")]
    for n in range(12):
        training = TrainingFactory(title=f"Pelatihan Menjahit {n:02d}")
        for platform in platforms:
            OfferingFactory(training=training, platform=platform)
    participant = make_active_participant()
    login(page, live_server, participant, "/pelatihan/")

    expect(page.get_by_role("heading", name="Rekomendasi Pelatihan")).to_be_visible()
    assert page.get_by_role("link", name="Beli Pelatihan di Tokopedia").count() == 10
    assert page.bytes_on_wire() < MAX_PAGE_BYTES
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "recommendations_first_screen.png"))


def test_balance_and_my_trainings_pages_are_light(page, live_server):
    participant = make_active_participant()
    login(page, live_server, participant, "/saldo/")

    expect(page.get_by_role("heading", name="Saldo Pelatihan")).to_be_visible()
    expect(page.get_by_text("Saldo pelatihan diberikan")).to_be_visible()
    assert page.bytes_on_wire() < MAX_PAGE_BYTES

    page.locator("header summary").click()  # the "Menu" <details>
    page.get_by_role("link", name="Pelatihan Saya").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Anda belum membeli pelatihan.")).to_be_visible()
