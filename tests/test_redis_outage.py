"""Degrade, do not crash (issue 12, finding 5): with Redis unreachable, login, complaints and the
partner API still answer (never a 500) and /healthz reports the broker as down."""

import json
import time
import uuid

import pytest

from tests.complaints.test_views import form_data
from tests.factories import DEFAULT_PASSWORD, PlatformFactory, UserFactory
from tests.trainings.partner import API
from trainings import services
from trainings.services.credentials import sign

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:9598/0"  # nothing listens there


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = CLOSED
    settings.CACHES = {
        alias: {**config, "BACKEND": config["BACKEND"], "LOCATION": CLOSED}
        if "redis" in config["BACKEND"].lower()
        else {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED,
        }
        for alias, config in settings.CACHES.items()
    }
    settings.RATELIMIT_ENABLE = True
    return settings


def test_login_answers_when_redis_is_down(client, redis_down):
    user = UserFactory()
    response = client.post("/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    wrong = client.post("/masuk/", {"username": user.email, "password": "salah-sekali"})
    assert wrong.status_code == 200
    assert "Email atau kata sandi salah" in wrong.content.decode()


def test_login_is_still_limited_when_redis_is_down(client, redis_down):
    redis_down.RATELIMIT_LOGIN = "2/m"
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    statuses = [
        client.post(
            "/masuk/", {"username": "x@contoh.id", "password": "salah"}, REMOTE_ADDR=address
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_a_complaint_is_filed_when_redis_is_down(client, redis_down):
    response = client.post("/pengaduan/", form_data())
    assert response.status_code == 302


def _signed(creds, method, path, body=b""):
    key, secret = creds
    ts = str(int(time.time()))
    return {
        "HTTP_X_PARTNER_KEY": key,
        "HTTP_X_TIMESTAMP": ts,
        "HTTP_X_SIGNATURE": sign(secret=secret, timestamp=ts, method=method, path=path, body=body),
    }


def test_the_partner_api_answers_when_redis_is_down(client, redis_down):
    creds = services.issue_partner_key(platform=PlatformFactory())
    listing = client.get(API + "/offerings", **_signed(creds, "GET", API + "/offerings"))
    assert listing.status_code == 200
    body = json.dumps(
        {"card_number": "5890123412341234", "offering_code": "x", "partner_order_id": "1"}
    ).encode()
    write = client.generic(
        "POST",
        API + "/payments",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
        **_signed(creds, "POST", API + "/payments", body),
    )
    # A write cannot be checked against replays: refused with a retryable 503, never a 500.
    assert write.status_code == 503, write.content
    assert write.json()["error"]["code"] == "service_unavailable"


def test_healthz_reports_the_broker_down(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"
