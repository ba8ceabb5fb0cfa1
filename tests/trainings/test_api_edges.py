"""Partner API edges: values that cannot be parsed are 401/422, never 500;
bodies above the documented limit are 413; an exact signed request is accepted once."""

import json
import time
import uuid

import pytest

from participants.models import Participant
from tests.factories import PlatformFactory, make_active_participant
from tests.trainings.partner import API, last_otp, make_offering
from trainings import services
from trainings.models import Payment
from trainings.services.credentials import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    return PlatformFactory(code="tepi", name="Tepi")


@pytest.fixture
def creds(platform):
    return services.issue_partner_key(platform=platform)


@pytest.fixture
def card():
    return make_active_participant()


@pytest.fixture
def offering(platform):
    return make_offering(platform=platform, price_idr=250_000)


def signed(creds, method, path, body=b"", *, timestamp=None, **extra):
    key, secret = creds
    ts = str(int(time.time())) if timestamp is None else timestamp
    headers = {
        "HTTP_X_PARTNER_KEY": key,
        "HTTP_X_TIMESTAMP": ts,
        "HTTP_X_SIGNATURE": sign(secret=secret, timestamp=ts, method=method, path=path, body=body),
    }
    headers.update(extra)
    return headers


def post(client, creds, path, payload, *, idempotency_key=None, raw=None, **kwargs):
    full = API + path
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = signed(creds, "POST", full, body, **kwargs)
    headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key or str(uuid.uuid4())
    return client.generic("POST", full, body, content_type="application/json", **headers)


def get(client, creds, path, **kwargs):
    full = API + path
    return client.generic("GET", full, b"", **signed(creds, "GET", full, **kwargs))


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_a_400_digit_timestamp_is_401_not_500(client, creds):
    response = get(client, creds, "/offerings", timestamp="9" * 400)
    assert_error(response, 401, "stale_timestamp")


@pytest.mark.parametrize("value", ["12a", "-1e9", " ", "1.5", "１２３"])
def test_a_timestamp_that_is_not_unix_seconds_is_401(client, creds, value):
    assert_error(get(client, creds, "/offerings", timestamp=value), 401, "stale_timestamp")


@pytest.mark.parametrize("field", ["offering_code", "partner_order_id", "card_number"])
def test_a_nul_byte_in_a_body_field_is_422(client, creds, card, offering, field):
    payload = {
        "card_number": card.card_number,
        "offering_code": offering.code,
        "partner_order_id": "ORD-1",
    }
    payload[field] = payload[field] + "\x00"
    assert_error(post(client, creds, "/payments", payload), 422, "invalid_request")
    assert not Payment.objects.exists()


def test_a_nul_byte_in_the_path_is_422(client, creds):
    assert_error(get(client, creds, "/vouchers/ABCDEFGHJK%00"), 422, "invalid_request")


def test_a_nul_byte_in_the_idempotency_key_is_422(client, creds, card, offering):
    payload = {
        "card_number": card.card_number,
        "offering_code": offering.code,
        "partner_order_id": "ORD-1",
    }
    response = post(client, creds, "/payments", payload, idempotency_key="k\x00")
    assert_error(response, 422, "invalid_request")


def test_a_nul_byte_in_the_key_header_is_401(client, creds):
    full = API + "/offerings"
    headers = signed(creds, "GET", full)
    headers["HTTP_X_PARTNER_KEY"] = headers["HTTP_X_PARTNER_KEY"] + "\x00"
    assert_error(client.generic("GET", full, b"", **headers), 401, "unknown_key")


def test_a_body_above_the_limit_is_413(client, creds, settings):
    settings.PARTNER_API_MAX_BODY_BYTES = 1024
    payload = {"card_number": "1" * 16, "offering_code": "x", "partner_order_id": "y" * 2000}
    assert_error(post(client, creds, "/payments", payload), 413, "payload_too_large")


def test_a_body_above_djangos_upload_limit_is_413_not_500(client, creds):
    body = b'{"review": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = post(client, creds, "/vouchers/ABCDEFGHJK/review", None, raw=body)
    assert_error(response, 413, "payload_too_large")


def test_an_exact_signed_request_is_refused_the_second_time_whatever_its_idempotency_key(
    client, creds, card, offering, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start = post(
            client,
            creds,
            "/payments",
            {
                "card_number": card.card_number,
                "offering_code": offering.code,
                "partner_order_id": "R",
            },
        )
    payment_id = start.json()["payment_id"]
    wrong = f"{(int(last_otp()) + 1) % 1_000_000:06d}"
    full = f"{API}/payments/{payment_id}/confirm"
    body = json.dumps({"otp": wrong}).encode()
    headers = signed(creds, "POST", full, body)
    first = client.generic(
        "POST", full, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a", **headers
    )
    assert_error(first, 400, "otp_invalid")
    for n in range(5):  # the captured request, resent with fresh Idempotency-Keys
        again = client.generic(
            "POST",
            full,
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"replay-{n}",
            **headers,
        )
        assert_error(again, 401, "request_replayed")
    payment = Payment.objects.get(pk=payment_id)
    assert payment.otp_attempts == 1
    assert payment.status == "otp_sent"
    assert Participant.objects.get(pk=card.pk).balance_idr == 1_000_000


def test_an_exact_get_is_refused_the_second_time(client, creds):
    headers = signed(creds, "GET", API + "/offerings")
    assert client.generic("GET", API + "/offerings", b"", **headers).status_code == 200
    replay = client.generic("GET", API + "/offerings", b"", **headers)
    assert_error(replay, 401, "request_replayed")
