"""The header at 360 px: one line, a "Menu" that opens without JavaScript, targets >= 24 px."""

import pytest
from playwright.sync_api import expect

from tests.browser_checks import header_height, horizontal_overflow, small_targets
from tests.factories import DEFAULT_PASSWORD, make_active_participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guest_sees_daftar_and_masuk_in_one_header_line(page, live_server):
    page.goto(live_server.url + "/")
    header = page.locator("header.top")
    expect(header.get_by_role("link", name="Daftar")).to_be_visible()
    expect(header.get_by_role("link", name="Masuk")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Daftar")).to_be_visible()
    assert header_height(page) <= 80
    assert horizontal_overflow(page) <= 0
    assert small_targets(page) == []


def test_a_participant_opens_the_menu_and_every_target_is_at_least_24_px(page, live_server):
    participant = make_active_participant()
    page.goto(live_server.url + "/masuk/")
    page.fill("#id_username", participant.user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.goto(live_server.url + "/dasbor/")
    assert header_height(page) <= 80
    menu_link = page.locator("header").get_by_role("link", name="Riwayat Insentif")
    expect(menu_link).to_be_hidden()
    page.locator("header summary", has_text="Menu").click()
    expect(menu_link).to_be_visible()
    expect(page.locator("header").get_by_role("button", name="Keluar")).to_be_visible()
    assert small_targets(page) == []
    assert horizontal_overflow(page) <= 0
