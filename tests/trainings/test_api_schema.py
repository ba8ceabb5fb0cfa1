"""Schemathesis against the partner API's own OpenAPI document, over real HTTP (live_server),
with every request signed like a platform signs it: no 5xx, and no response outside the schema
(status codes, content types, headers, bodies).

The document is loaded when the module is collected, from the same code that serves it
(``schemathesis.pytest.from_fixture`` cannot be used: it breaks on pytest 9's node ids); the last
test checks that the live ``/openapi.json`` is exactly this document.
"""

import json
import time
import uuid

import pytest
import requests
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PlatformFactory, make_active_participant
from tests.trainings.partner import API, PartnerClient, last_otp, make_offering
from trainings import services
from trainings.services.credentials import sign

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


class Signer(requests.auth.AuthBase):
    """Signs the prepared request (after its body is serialized) with the partner secret.

    Schemathesis fills the three security headers with generated values; they are replaced with
    a valid signature. When a negative case leaves one out, the request goes out unsigned, so
    the API must refuse it (checked by ``negative_data_rejection``).
    """

    def __init__(self, key: str, secret: str):
        self.key, self.secret = key, secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not all(h in request.headers for h in ("X-Partner-Key", "X-Timestamp", "X-Signature")):
            return request
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp = str(int(time.time()))
        request.headers["X-Partner-Key"] = self.key
        request.headers["X-Timestamp"] = timestamp
        request.headers["X-Signature"] = sign(
            secret=self.secret,
            timestamp=timestamp,
            method=request.method,
            path=request.path_url,
            body=body,
        )
        return request


@pytest.fixture
def partner(live_server, transactional_db):
    platform = PlatformFactory(code="skema", name="Skema")
    key, secret = services.issue_partner_key(platform=platform)
    offering = make_offering(platform=platform, price_idr=200_000)
    card = make_active_participant()
    return {
        "key": key,
        "secret": secret,
        "offering": offering,
        "card": card,
        "url": live_server.url,
    }


def _document() -> dict:
    from trainings.api import api

    return json.loads(json.dumps(api.get_openapi_schema()))


schema = schemathesis.openapi.from_dict(_document())


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_partner_api_conforms_to_its_openapi_document(case, partner):
    session = requests.Session()
    session.auth = Signer(partner["key"], partner["secret"])
    case.call_and_validate(base_url=partner["url"], session=session, checks=CHECKS, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_happy_path_responses_match_the_document(partner):
    """Random data mostly meets error answers; walk the success rows and validate each body."""
    served = requests.get(partner["url"] + API + "/openapi.json", timeout=10).json()
    assert served == _document()
    document = schemathesis.openapi.from_dict(served)
    client = PartnerClient(partner["url"], partner["key"], partner["secret"])
    card, offering = partner["card"], partner["offering"]

    def check(method: str, path_template: str, response: requests.Response, status: int):
        assert response.status_code == status, response.text
        document[API + path_template][method].validate_response(response)

    check("GET", "/offerings", client.get("/offerings"), 200)
    started = client.post(
        "/payments",
        {
            "card_number": card.card_number,
            "offering_code": offering.code,
            "partner_order_id": str(uuid.uuid4()),
        },
    )
    check("POST", "/payments", started, 201)
    payment_id = started.json()["payment_id"]
    wrong = f"{(int(last_otp()) + 1) % 1_000_000:06d}"
    check(
        "POST",
        "/payments/{payment_id}/confirm",
        client.post(f"/payments/{payment_id}/confirm", {"otp": wrong}),
        400,
    )
    confirmed = client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp()})
    check("POST", "/payments/{payment_id}/confirm", confirmed, 200)
    code = confirmed.json()["voucher_code"]
    check("GET", "/vouchers/{code}", client.get(f"/vouchers/{code}"), 200)
    provider = offering.training.provider.code
    redeem = client.post(f"/vouchers/{code}/redeem", {"provider_code": provider})
    check("POST", "/vouchers/{code}/redeem", redeem, 200)
    check(
        "POST",
        "/vouchers/{code}/pretest",
        client.post(f"/vouchers/{code}/pretest", {"score": 30}),
        200,
    )
    completion = {
        "certificate_number": "C-1",
        "certificate_url": "https://sertifikat.example/C-1",
        "completed_at": timezone.now().isoformat(),
        "score": 80,
    }
    check(
        "POST",
        "/vouchers/{code}/completion",
        client.post(f"/vouchers/{code}/completion", completion),
        200,
    )
    check(
        "POST",
        "/vouchers/{code}/review",
        client.post(f"/vouchers/{code}/review", {"rating": 5, "review": "Mantap"}),
        200,
    )
    unsigned = requests.get(partner["url"] + API + "/offerings", timeout=10)
    check("GET", "/offerings", unsigned, 401)
