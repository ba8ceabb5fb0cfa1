"""A real browser at phone size: the home page loads light, titled and without console errors."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_has_a_title_no_console_errors_and_is_light(page, live_server):
    page.goto(live_server.url + "/")
    assert page.title().strip(), "the page has no <title>"
    assert "Prakerja" in page.title()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.bytes_on_wire() < 50 * 1024


def test_keyboard_user_can_skip_to_content(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Langsung ke isi" in focused
