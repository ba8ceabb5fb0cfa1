"""Fixtures for the sandbox storefront: switched on, with its platform's catalog, driven over
real HTTP like a visitor's browser would (cookies, CSRF token, redirects)."""

import re

import pytest
import requests

# Import the portal's URLs now, while SANDBOX is off, as they are outside these tests.
import prakerja.urls  # noqa: F401
from tests.factories import OfferingFactory, PlatformFactory, ProviderFactory, TrainingFactory


@pytest.fixture
def sandbox_on(settings):
    """SANDBOX on and /sandbox/ mounted (settings change clears the URL caches, also for the
    live server thread, which resolves with settings.ROOT_URLCONF on every request)."""
    settings.SANDBOX = True
    settings.ROOT_URLCONF = "tests.sandbox.urls"
    return settings


@pytest.fixture
def sandbox_catalog():
    sandbox = PlatformFactory(code="sandbox", name="Platform Uji Coba")
    other = PlatformFactory(code="tokopedia", name="Tokopedia")
    provider = ProviderFactory(code="arkademi", name="Arkademi")
    excel = TrainingFactory(
        title="Microsoft Excel untuk Administrasi Kantor", provider=provider, price_idr=150_000
    )
    barista = TrainingFactory(title="Menjadi Barista Profesional", price_idr=1_500_000)
    return {
        "platform": sandbox,
        "excel": OfferingFactory(
            code="sandbox-004",
            training=excel,
            platform=sandbox,
            price_idr=150_000,
            url="http://127.0.0.1:8000/sandbox/pelatihan/004",
        ),
        "barista": OfferingFactory(
            code="sandbox-003", training=barista, platform=sandbox, price_idr=1_500_000
        ),
        "elsewhere": OfferingFactory(code="tokopedia-004", training=excel, platform=other),
    }


class Visitor:
    """A browser without JavaScript: follows redirects, keeps cookies, sends the CSRF token."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.last: requests.Response | None = None

    def get(self, path: str, **kwargs) -> requests.Response:
        self.last = self.session.get(self.base_url + path, timeout=30, **kwargs)
        return self.last

    def hidden(self, name: str, html: str | None = None) -> str:
        html = html if html is not None else self.last.text
        found = re.search(rf'name="{name}" value="([^"]*)"', html)
        assert found, f"no hidden {name!r} on the page"
        return found.group(1)

    def submit(self, action: str, data: dict, *, form_html: str | None = None) -> requests.Response:
        """POST a form shown on the last page, with its CSRF token and hidden idem token."""
        html = form_html if form_html is not None else self.last.text
        payload = {"csrfmiddlewaretoken": self.hidden("csrfmiddlewaretoken", html), **data}
        if "idem" not in payload and 'name="idem"' in html:
            payload["idem"] = self.hidden("idem", html)
        if "order" not in payload and 'name="order"' in html:
            payload["order"] = self.hidden("order", html)
        self.last = self.session.post(
            self.base_url + action,
            data=payload,
            headers={"Referer": self.base_url + action},
            timeout=30,
        )
        return self.last


@pytest.fixture
def visitor(live_server):
    return Visitor(live_server.url)
