"""Shared fixtures: skips for what the machine lacks (Redis, Chromium), the SMS outbox, and a
headless Chromium browser."""

import os
import re
from pathlib import Path

import pytest

from prakerja import sms

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config, items):
    no_redis = not os.environ.get("REDIS_URL")
    no_browser = not Path(CHROMIUM).exists()
    for item in items:
        if no_redis and "redis" in item.keywords:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs Redis (REDIS_URL is not set, no redis-server to start)"
                )
            )
        if no_browser and "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}"))


# --- staff second factor ------------------------------------------------------------------------


def verify_staff_session(client, user) -> None:
    """Mark ``client``'s session as having passed the second factor with ``user``'s TOTP device
    (created if needed), as django-otp's login form does after a right token."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="authenticator", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``client.force_login(staff)`` (pytest-django's ``admin_client`` too) also passes the
    admin's second factor, so tests of admin pages need not type TOTP tokens; the real TOTP login
    is tested end to end in tests/test_staff_accounts.py."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            verify_staff_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def sms_outbox():
    """The locmem SMS outbox, emptied before each test."""
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _empty_registration_mail_queue(settings):
    """Registration emails wait in Redis for their batch (participants/registration/mail.py):
    each test starts with none waiting and no flush scheduled, whatever ran before on that
    Redis (another test, a load test)."""
    if settings.REDIS_URL:
        from participants.registration import mail as registration_mail
        from prakerja import redis_client

        redis_client.client(settings.REDIS_URL).delete(*registration_mail._keys())


# --- Celery -------------------------------------------------------------------------------------


@pytest.fixture
def real_worker():
    """A real Celery worker consuming from the configured (Redis) broker, in a thread, with eager
    mode switched off for the test. Use with ``@pytest.mark.redis`` and a transactional db."""
    from celery.contrib.testing.worker import start_worker

    from prakerja.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield app
    finally:
        app.conf.task_always_eager = True


# --- browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    )
    yield browser
    browser.close()


class BrowserPage:
    """A phone-sized page that records console errors and every response's size on the wire."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.responses = []
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        page.on("response", lambda response: self.responses.append(response))

    def __getattr__(self, name):
        return getattr(self.page, name)

    def goto(self, url: str, **kwargs):
        self.responses.clear()
        return self.page.goto(url, **kwargs)

    def bytes_on_wire(self) -> int:
        """Bytes transferred (headers + encoded bodies) since the last ``goto``."""
        total = 0
        for response in self.responses:
            sizes = response.request.sizes()
            total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
        return total


@pytest.fixture
def page(browser, request):
    """A fresh phone-sized browser context. The test fails on any console error, and a
    screenshot of the last screen is saved under test-artifacts/screenshots/."""
    context = browser.new_context(viewport=PHONE, locale="id-ID", timezone_id="Asia/Jakarta")
    context.set_default_timeout(10_000)
    wrapped = BrowserPage(context.new_page())
    yield wrapped
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    try:
        wrapped.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    allowed = getattr(request.node, "allowed_console_errors", ())
    errors = [e for e in wrapped.console_errors if not any(a in e for a in allowed)]
    assert not errors, f"console errors: {errors}"
