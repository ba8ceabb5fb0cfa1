"""The foundation: settings, health check, home page and the card-number format."""

import pytest
from django.conf import settings
from django.db import OperationalError

from participants.cards import numbers as card_numbers
from prakerja import crypto


def test_time_zone_is_wib_and_aware():
    assert settings.TIME_ZONE == "Asia/Jakarta"
    assert settings.USE_TZ is True
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    assert settings.LANGUAGE_CODE == "id"


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == ("ok" if settings.REDIS_URL else "embedded")


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


@pytest.mark.django_db
def test_home_page_is_indonesian(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="id">' in response.content.decode()
    assert "Masuk" in response.content.decode()


def test_card_numbers_are_16_digits_with_a_valid_check_digit():
    numbers = {card_numbers.new_card_number() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert card_numbers.is_valid_card_number(number)
    mistyped = next(iter(numbers))
    wrong = mistyped[:-1] + str((int(mistyped[-1]) + 1) % 10)
    assert not card_numbers.is_valid_card_number(wrong)


def test_nik_is_masked_and_hash_is_keyed():
    assert crypto.mask_nik("3201234567890001") == "************0001"
    assert crypto.keyed_hash("3201234567890001") != crypto.keyed_hash("3201234567890002")
    token = crypto.encrypt("3201234567890001")
    assert "3201234567890001" not in token
    assert crypto.decrypt(token) == "3201234567890001"
