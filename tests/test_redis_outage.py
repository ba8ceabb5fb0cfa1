"""Degrade, do not crash: with Redis unreachable, registration, login, complaints and the partner
API still answer (never a 500), a registration's email waits in the database and goes out when
Redis is back, signed-in people stay signed in (sessions live in PostgreSQL), and /healthz
reports the broker as down."""

import json
import time
import uuid
from contextlib import contextmanager

import pytest
from django.core import mail

from tests.complaints.test_views import form_data
from tests.factories import DEFAULT_PASSWORD, PlatformFactory, UserFactory
from tests.trainings.partner import API
from trainings import services
from trainings.services.credentials import sign

# The outage is simulated on the settings a deployment with Redis has (its resilient rate-limit
# cache, sessions with Redis in front); without REDIS_URL those settings do not exist to break.
pytestmark = [pytest.mark.django_db, pytest.mark.redis]

CLOSED = "redis://127.0.0.1:9598/0"  # nothing listens there


def _point_at_closed_port(settings) -> None:
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
    settings.CELERY_BROKER_URL = CLOSED


@pytest.fixture
def redis_down(settings):
    _point_at_closed_port(settings)
    settings.RATELIMIT_ENABLE = True
    return settings


@contextmanager
def outage(settings):
    """Redis is unreachable inside the block and back after it."""
    saved = {name: getattr(settings, name) for name in ("REDIS_URL", "CACHES", "CELERY_BROKER_URL")}
    _point_at_closed_port(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)


def _registration(email: str) -> dict:
    password = "kata-sandi-panjang-9"
    return {
        "full_name": "Siti Aminah",
        "email": email,
        "password": password,
        "password_confirm": password,
    }


def test_registration_answers_when_redis_is_down_and_its_email_goes_out_later(client, settings):
    from participants import registration_mail
    from participants.models import User

    email = f"daftar-{uuid.uuid4().hex[:8]}@contoh.id"
    with outage(settings):
        response = client.post("/daftar/", _registration(email))
        assert response.status_code == 302
        assert response["Location"] == "/daftar/cek-email/"
        # Someone registering again with the same address gets the same answer.
        assert client.post("/daftar/", _registration(email)).status_code == 302
    user = User.objects.get(email=email)  # the whole account, with its hashed password
    assert user.has_usable_password() and user.email_verified_at is None
    assert mail.outbox == []
    # Redis is back: the registration-mail job sends what waited in the database, once.
    assert registration_mail.flush() == 2
    assert registration_mail.flush() == 0
    assert [message.to for message in mail.outbox] == [[email], [email]]
    assert any("/verifikasi-email/" in message.body for message in mail.outbox)


def test_a_signed_in_person_stays_signed_in_through_a_redis_outage(client, settings):
    user = UserFactory()
    client.post("/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert client.get("/pengaduan/saya/").status_code == 200
    with outage(settings):
        assert client.get("/pengaduan/saya/").status_code == 200
    assert client.get("/pengaduan/saya/").status_code == 200


def test_a_login_during_the_outage_holds_after_it(client, settings):
    user = UserFactory()
    with outage(settings):
        response = client.post("/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302
        assert client.get("/pengaduan/saya/").status_code == 200
    assert client.get("/pengaduan/saya/").status_code == 200


def test_signing_out_during_the_outage_holds_after_it(client, settings):
    user = UserFactory()
    client.post("/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD})
    cookie = client.cookies["sessionid"].value
    with outage(settings):
        client.post("/keluar/")
        assert client.get("/pengaduan/saya/").status_code == 302
    client.cookies["sessionid"] = cookie  # someone kept the old cookie
    assert client.get("/pengaduan/saya/").status_code == 302


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


def test_a_signed_in_participant_files_a_complaint_when_redis_is_down(client, settings):
    user = UserFactory()
    client.post("/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD})
    with outage(settings):
        response = client.post("/pengaduan/", form_data(email=user.email))
        assert response.status_code == 302
        assert response["Location"].startswith("/pengaduan/tiket/")


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
