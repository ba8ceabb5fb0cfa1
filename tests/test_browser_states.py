"""Every participant state of seed_demo at 360 x 740: the explanation is there, no
action the person cannot take is offered, the header fits, targets are >= 24 px, pages are light,
and the same content shows with JavaScript off. Screenshots: test-artifacts/screenshots/."""

import re

import pytest
from django.core.management import call_command

from participants.demo import DEMO_PASSWORD
from tests.browser_checks import header_height, horizontal_overflow, login, small_targets
from tests.conftest import ARTIFACTS, CHROMIUM, PHONE, BrowserPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE_LIMIT = 50 * 1024
# Who has no card that can buy: the card is gone or not shown yet, or there is none yet.
CANNOT_BUY = {"revoked", "frozen", "expired", "selected"} | {
    "registered",
    "identity_verified",
    "applicant",
    "joined",
    "not_selected",
}
# Only a complete profile with no wave pending may join the demo's open wave.
MAY_JOIN = {"applicant", "not_selected"}
# Every page a participant reaches from the menu, besides the dashboard. The orientation page
# needs JavaScript to play the videos and says so in a <noscript>: its text differs on purpose.
MENU_PAGES = ["/pelatihan-saya/", "/saldo/", "/insentif/", "/orientasi/", "/pengaduan/saya/"]


def _main_text(page) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text()).strip()


def test_every_demo_state_explains_itself_and_offers_nothing_it_cannot_do(
    page, browser, live_server, capsys, settings
):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo")
    accounts = re.findall(r"DEMO email=(\S+) password=\S+ state=(\S+)", capsys.readouterr().out)
    accounts = [(email, state) for email, state in accounts if state != "staff"]
    assert {"frozen", "expired", "revoked", "active", "selected"} <= {s for _e, s in accounts}
    base = live_server.url
    no_js = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        for email, state in accounts:
            page.context.clear_cookies()
            login(page, base, email, DEMO_PASSWORD)
            page.goto(base + "/dasbor/")
            assert page.bytes_on_wire() <= PAGE_LIMIT, state
            assert page.locator("#penjelasan").count() == 1, state
            assert page.locator("#ajukan-pengaduan").count() == 1, state
            assert header_height(page) <= 80, state
            assert small_targets(page) == [], (state, small_targets(page))
            assert horizontal_overflow(page) <= 0, state
            joins = page.get_by_role("button", name="Gabung").count()
            assert (joins > 0) == (state in MAY_JOIN), (state, joins)
            page.screenshot(path=str(ARTIFACTS / f"state-{state}-dasbor.png"), full_page=True)
            with_js = _main_text(page)

            page.goto(base + "/pelatihan/")
            assert page.bytes_on_wire() <= PAGE_LIMIT, state
            buy_links = page.get_by_role("link", name=re.compile("Beli Pelatihan")).count()
            if state in CANNOT_BUY:
                assert buy_links == 0, state
            assert small_targets(page) == [], (state, small_targets(page))
            page.screenshot(path=str(ARTIFACTS / f"state-{state}-pelatihan.png"), full_page=True)

            if state == "revoked":
                page.goto(base + "/insentif/")
                assert page.get_by_text("Perbarui rekening").count() == 0
                page.goto(base + "/orientasi/")
                assert page.get_by_text("setelah Anda dinyatakan lolos").count() == 0

            # The same dashboard content without JavaScript.
            plain = BrowserPage(no_js.new_page())
            plain.context.clear_cookies()
            plain.context.add_cookies(page.context.cookies())
            plain.goto(base + "/dasbor/")
            assert _main_text(plain) == with_js, state

            # Every other menu page: light, fits the phone, the same without JavaScript.
            for path in MENU_PAGES:
                page.goto(base + path)
                assert page.bytes_on_wire() <= PAGE_LIMIT, (state, path)
                assert header_height(page) <= 80, (state, path)
                assert small_targets(page) == [], (state, path, small_targets(page))
                assert horizontal_overflow(page) <= 0, (state, path)
                name = f"state-{state}-{path.strip('/').replace('/', '-')}.png"
                page.screenshot(path=str(ARTIFACTS / name), full_page=True)
                if path != "/orientasi/":
                    plain.goto(base + path)
                    assert _main_text(plain) == _main_text(page), (state, path)
            plain.close()
    finally:
        no_js.close()
    assert CHROMIUM
