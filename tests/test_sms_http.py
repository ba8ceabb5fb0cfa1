"""The ``http`` SMS backend against a local provider over real HTTP: what it sends, and that a
slow or failing provider is an :class:`~prakerja.sms.SmsError` within the timeout."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from prakerja import sms


class Provider:
    def __init__(self, *, status: int = 202, delay: float = 0.0):
        self.status, self.delay, self.received = status, delay, []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                provider.received.append((dict(self.headers), json.loads(body)))
                time.sleep(provider.delay)
                self.send_response(provider.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    made = []

    def make(**kwargs) -> Provider:
        made.append(Provider(**kwargs))
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_URL = made[-1].url
        settings.SMS_HTTP_TOKEN = "token-123"
        settings.SMS_HTTP_TIMEOUT_SECONDS = 0.5
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_the_message_goes_to_the_provider_with_the_token(provider, settings):
    gateway = provider()
    sms.send_sms(to="0812-3456-7890", text="Kode OTP: 123456")
    ((headers, body),) = gateway.received
    assert headers["Authorization"] == "Bearer token-123"
    assert body == {"to": "+6281234567890", "text": "Kode OTP: 123456", "sender": "PRAKERJA"}


def test_a_refusal_is_an_sms_error(provider):
    provider(status=500)
    with pytest.raises(sms.SmsError):
        sms.send_sms(to="081234567890", text="x")


def test_a_slow_provider_is_an_sms_error_after_the_timeout(provider):
    provider(delay=2)  # it would accept, after 2 s: only the 0.5 s timeout makes this an error
    with pytest.raises(sms.SmsError):
        sms.send_sms(to="081234567890", text="x")
