"""django-ratelimit guards login, registration and OTP requests."""

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits_on(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_LOGIN = "3/m"
    settings.RATELIMIT_REGISTER = "2/m"
    # A fresh client address per test so counters in the shared cache never collide.
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def test_login_is_limited_per_address(client, limits_on):
    url = reverse("login")
    for _ in range(3):
        response = client.post(
            url, {"username": "x@contoh.id", "password": "salah"}, REMOTE_ADDR=limits_on
        )
        assert response.status_code == 200
    response = client.post(
        url, {"username": "x@contoh.id", "password": "salah"}, REMOTE_ADDR=limits_on
    )
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.content.decode()


def test_registration_is_limited_per_address(client, limits_on):
    url = reverse("register")
    statuses = [
        client.post(
            url, {"full_name": "A", "email": "bukan-email"}, REMOTE_ADDR=limits_on
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
