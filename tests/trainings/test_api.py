"""Partner API v1 over real HTTP (live_server), signed like a platform: every success and error
row of docs/partner-api.md, plus the signature, replay and idempotency rules."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from participants import services as participant_services
from participants.models import LedgerEntry, Participant
from tests.factories import PlatformFactory, ProviderFactory, make_active_participant
from tests.trainings.partner import API, PartnerClient, last_otp, make_offering
from trainings import services
from trainings.models import IdempotencyRecord, Payment, Voucher

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform():
    return PlatformFactory(code="tokoku", name="Tokoku")


@pytest.fixture
def client(live_server, platform):
    key, secret = services.issue_partner_key(platform=platform)
    return PartnerClient(live_server.url, key, secret)


@pytest.fixture
def other_client(live_server):
    other = PlatformFactory(code="lainnya", name="Lainnya")
    key, secret = services.issue_partner_key(platform=other)
    return PartnerClient(live_server.url, key, secret)


@pytest.fixture
def card():
    return make_active_participant()


@pytest.fixture
def offering(platform):
    return make_offering(platform=platform, price_idr=250_000)


def start(client, card, offering, *, order="ORD-1", **kwargs):
    return client.post(
        "/payments",
        {
            "card_number": card.card_number,
            "offering_code": offering.code,
            "partner_order_id": order,
        },
        **kwargs,
    )


def buy(client, card, offering, *, order="ORD-1"):
    started = start(client, card, offering, order=order)
    assert started.status_code == 201, started.text
    payment_id = started.json()["payment_id"]
    confirmed = client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp(card.phone)})
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def complete(client, voucher_code, provider_code):
    assert client.post(f"/vouchers/{voucher_code}/redeem", {"provider_code": provider_code}).ok
    assert client.post(f"/vouchers/{voucher_code}/pretest", {"score": 40}).ok
    done = client.post(
        f"/vouchers/{voucher_code}/completion",
        {
            "certificate_number": "CERT-1",
            "certificate_url": "https://sertifikat.example/CERT-1",
            "completed_at": timezone.now().isoformat(),
            "score": 88,
        },
    )
    assert done.status_code == 200, done.text
    return done.json()


# --- POST /payments ----------------------------------------------------------------------------


def test_start_payment_returns_201_and_texts_the_otp(client, card, offering, sms_outbox):
    response = start(client, card, offering)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "otp_sent"
    assert body["amount_idr"] == 250_000
    assert dt.datetime.fromisoformat(body["otp_expires_at"]) > timezone.now()
    assert Payment.objects.get(pk=body["payment_id"]).participant_id == card.pk
    assert [m.to for m in sms_outbox] == [card.phone]


def test_too_many_payment_starts_on_one_card_is_429_and_sends_no_more_sms(
    client, card, offering, sms_outbox, settings
):
    settings.OTP_MAX_PER_WINDOW = 3
    for n in range(3):
        assert start(client, card, offering, order=f"flood-{n}").status_code == 201
    assert_error(start(client, card, offering, order="flood-3"), 429, "too_many_otp_requests")
    assert len(sms_outbox) == 3
    assert Payment.objects.filter(participant=card).count() == 3


def test_unknown_card_is_404_card_not_found(client, offering):
    response = client.post(
        "/payments",
        {
            "card_number": "5890123412341234",
            "offering_code": offering.code,
            "partner_order_id": "1",
        },
    )
    assert_error(response, 404, "card_not_found")


def test_unknown_offering_is_404(client, card):
    response = client.post(
        "/payments",
        {"card_number": card.card_number, "offering_code": "nope", "partner_order_id": "1"},
    )
    assert_error(response, 404, "offering_not_found")


def test_revoked_card_is_409(client, card, offering):
    participant_services.revoke_participation(participant=card, reason_code="fraud")
    assert_error(start(client, card, offering), 409, "card_revoked")


def test_frozen_card_is_409_card_frozen_at_start_and_at_confirm(client, card, offering):
    started = start(client, card, offering)
    assert started.status_code == 201, started.text
    participant_services.freeze_card(
        participant=card, reason="Laporan kecurangan", participant_reason="Diperiksa.", actor=None
    )
    payment_id = started.json()["payment_id"]
    confirmed = client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp(card.phone)})
    assert_error(confirmed, 409, "card_frozen")
    assert_error(start(client, card, offering, order="ORD-2"), 409, "card_frozen")
    card.refresh_from_db()
    assert card.balance_idr == 1_000_000
    assert not Voucher.objects.filter(participant=card).exists()


def test_card_not_oriented_is_409_card_not_active(client, offering):
    card = make_active_participant(status=Participant.Status.SELECTED, oriented_at=None)
    assert_error(start(client, card, offering), 409, "card_not_active")


def test_price_above_balance_is_409_insufficient_balance(client, card, platform):
    expensive = make_offering(platform=platform, price_idr=1_500_000)
    assert_error(start(client, card, expensive), 409, "insufficient_balance")


def test_expired_balance_is_409(client, card, offering):
    Participant.objects.filter(pk=card.pk).update(
        balance_expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert_error(start(client, card, offering), 409, "balance_expired")


def test_second_purchase_before_completion_is_409(client, card, offering, platform):
    buy(client, card, offering)
    second = make_offering(platform=platform, price_idr=100_000)
    assert_error(start(client, card, second, order="ORD-2"), 409, "first_training_not_completed")


def test_malformed_body_is_422_invalid_request(client, offering):
    response = client.post("/payments", {"offering_code": offering.code})
    error = assert_error(response, 422, "invalid_request")
    assert "card_number" in error["message"]


def test_validation_messages_are_indonesian(client, offering, platform):
    missing = assert_error(
        client.post("/payments", {"offering_code": offering.code}), 422, "invalid_request"
    )
    assert "card_number: wajib diisi" in missing["message"]
    assert "Field required" not in missing["message"]
    score = assert_error(
        client.post("/vouchers/ABCDEFGHJK/pretest", {"score": 101}), 422, "invalid_request"
    )
    assert "score: paling besar 100" in score["message"]
    wrong_type = assert_error(
        client.post("/vouchers/ABCDEFGHJK/pretest", {"score": "banyak"}), 422, "invalid_request"
    )
    assert "score: harus berupa bilangan bulat" in wrong_type["message"]
    for message in (missing["message"], score["message"], wrong_type["message"]):
        assert not any(word in message for word in ("Input should", "Field required", "less"))


def test_body_that_is_not_json_is_422(client):
    body = b"{not json"
    headers = client.headers("POST", API + "/payments", body)
    headers.update({"Idempotency-Key": "k1", "Content-Type": "application/json"})
    assert_error(client.raw("POST", "/payments", body, headers), 422, "invalid_request")


def test_post_without_idempotency_key_is_422(client, card, offering):
    body = json.dumps({"card_number": card.card_number, "offering_code": offering.code}).encode()
    headers = client.headers("POST", API + "/payments", body)
    headers["Content-Type"] = "application/json"
    assert_error(client.raw("POST", "/payments", body, headers), 422, "invalid_request")
    assert not Payment.objects.exists()


def test_idempotency_key_longer_than_255_is_422(client, card, offering):
    response = start(client, card, offering, idempotency_key="k" * 256)
    assert_error(response, 422, "invalid_request")


# --- POST /payments/{id}/confirm ----------------------------------------------------------------


def test_confirm_returns_voucher_and_balance_and_debits_once(client, card, offering):
    body = buy(client, card, offering)
    assert body["status"] == "paid"
    assert body["balance_idr"] == 750_000
    assert len(body["voucher_code"]) >= 10
    card.refresh_from_db()
    assert card.balance_idr == 750_000
    assert LedgerEntry.objects.filter(participant=card, kind="purchase").count() == 1


def test_wrong_otp_is_400_with_attempts_left_then_429_locked(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    right = last_otp()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        error = assert_error(
            client.post(f"/payments/{payment_id}/confirm", {"otp": wrong}), 400, "otp_invalid"
        )
        assert error["attempts_left"] == left
    response = client.post(f"/payments/{payment_id}/confirm", {"otp": right})
    assert_error(response, 429, "otp_locked")
    card.refresh_from_db()
    assert card.balance_idr == 1_000_000


def test_expired_otp_is_410(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    Payment.objects.filter(pk=payment_id).update(
        otp_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp()})
    assert_error(response, 410, "otp_expired")


def test_confirming_a_paid_payment_again_is_409_payment_not_pending(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    code = last_otp()
    assert client.post(f"/payments/{payment_id}/confirm", {"otp": code}).status_code == 200
    response = client.post(f"/payments/{payment_id}/confirm", {"otp": code})
    assert_error(response, 409, "payment_not_pending")
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1


def test_card_rules_are_rechecked_at_confirmation(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    participant_services.revoke_participation(participant=card, reason_code="fraud")
    response = client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp()})
    assert_error(response, 409, "card_revoked")
    assert not LedgerEntry.objects.filter(kind="purchase").exists()


def test_insufficient_balance_rechecked_at_confirmation(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    Participant.objects.filter(pk=card.pk).update(balance_idr=100_000)
    response = client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp()})
    assert_error(response, 409, "insufficient_balance")


def test_malformed_otp_is_422(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    response = client.post(f"/payments/{payment_id}/confirm", {"otp": "12ab"})
    assert_error(response, 422, "invalid_request")


def test_another_platforms_payment_is_404(client, other_client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    response = other_client.post(f"/payments/{payment_id}/confirm", {"otp": last_otp()})
    assert_error(response, 404, "payment_not_found")
    assert_error(
        client.post("/payments/not-a-uuid/confirm", {"otp": "123456"}), 404, "payment_not_found"
    )


# --- GET /offerings -----------------------------------------------------------------------------


def test_offerings_lists_only_this_platforms_offerings(client, other_client, offering):
    make_offering(platform=PlatformFactory(code="lain2"))
    response = client.get("/offerings")
    assert response.status_code == 200
    assert response.json() == {
        "offerings": [
            {
                "code": offering.code,
                "title": offering.training.title,
                "provider_code": offering.training.provider.code,
                "provider_name": offering.training.provider.name,
                "price_idr": 250_000,
                "url": offering.url,
            }
        ]
    }
    assert other_client.get("/offerings").json() == {"offerings": []}


# --- vouchers -----------------------------------------------------------------------------------


def test_voucher_lifecycle_redeem_pretest_completion_review(client, card, offering):
    code = buy(client, card, offering)["voucher_code"]
    provider = offering.training.provider.code
    shown = client.get(f"/vouchers/{code}")
    assert shown.status_code == 200
    assert shown.json()["status"] == "issued"
    assert shown.json()["provider"]["code"] == provider
    assert shown.json()["training"]["title"] == offering.training.title

    redeemed = client.post(f"/vouchers/{code}/redeem", {"provider_code": provider})
    assert redeemed.status_code == 200 and redeemed.json()["status"] == "redeemed"
    pretest = client.post(f"/vouchers/{code}/pretest", {"score": 55})
    assert pretest.status_code == 200 and pretest.json()["pretest_score"] == 55
    done = client.post(
        f"/vouchers/{code}/completion",
        {
            "certificate_number": "CERT-9",
            "certificate_url": "https://sertifikat.example/CERT-9",
            "completed_at": timezone.now().isoformat(),
            "score": 90,
        },
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    review = client.post(f"/vouchers/{code}/review", {"rating": 5, "review": "Sangat berguna"})
    assert review.status_code == 200, review.text
    voucher = Voucher.objects.get(code=code)
    assert (voucher.rating, voucher.review, voucher.certificate_number) == (
        5,
        "Sangat berguna",
        "CERT-9",
    )
    assert client.get(f"/vouchers/{code}").json()["status"] == "completed"


def test_unknown_voucher_and_another_platforms_voucher_are_404(
    client, other_client, card, offering
):
    code = buy(client, card, offering)["voucher_code"]
    assert_error(client.get("/vouchers/ABCDEFGHJK"), 404, "voucher_not_found")
    assert_error(other_client.get(f"/vouchers/{code}"), 404, "voucher_not_found")
    provider = offering.training.provider.code
    response = other_client.post(f"/vouchers/{code}/redeem", {"provider_code": provider})
    assert_error(response, 404, "voucher_not_found")
    assert_error(
        client.post("/vouchers/ABCDEFGHJK/redeem", {"provider_code": provider}),
        404,
        "voucher_not_found",
    )


def test_redeeming_twice_is_409_already_redeemed(client, card, offering):
    code = buy(client, card, offering)["voucher_code"]
    provider = offering.training.provider.code
    assert client.post(f"/vouchers/{code}/redeem", {"provider_code": provider}).ok
    response = client.post(f"/vouchers/{code}/redeem", {"provider_code": provider})
    assert_error(response, 409, "voucher_already_redeemed")


def test_redeeming_at_another_provider_is_409_wrong_provider(client, card, offering):
    code = buy(client, card, offering)["voucher_code"]
    other = ProviderFactory()
    response = client.post(f"/vouchers/{code}/redeem", {"provider_code": other.code})
    assert_error(response, 409, "voucher_wrong_provider")
    assert Voucher.objects.get(code=code).status == "issued"


def test_pretest_before_redemption_is_409_voucher_not_redeemed(client, card, offering):
    code = buy(client, card, offering)["voucher_code"]
    response = client.post(f"/vouchers/{code}/pretest", {"score": 10})
    assert_error(response, 409, "voucher_not_redeemed")


def test_completion_errors(client, card, offering):
    code = buy(client, card, offering)["voucher_code"]
    payload = {
        "certificate_number": "C",
        "certificate_url": "https://sertifikat.example/C",
        "completed_at": timezone.now().isoformat(),
        "score": 70,
    }
    assert_error(client.post(f"/vouchers/{code}/completion", payload), 409, "voucher_not_redeemed")
    client.post(f"/vouchers/{code}/redeem", {"provider_code": offering.training.provider.code})
    payload["completed_at"] = timezone.now().isoformat()
    assert_error(client.post(f"/vouchers/{code}/completion", payload), 409, "pretest_missing")
    naive = dict(payload, completed_at="2026-01-01T10:00:00")
    assert_error(client.post(f"/vouchers/{code}/completion", naive), 422, "invalid_request")


def test_review_before_completion_is_409(client, card, offering):
    code = buy(client, card, offering)["voucher_code"]
    response = client.post(f"/vouchers/{code}/review", {"rating": 4, "review": "Bagus"})
    assert_error(response, 409, "training_not_completed")
    response = client.post(f"/vouchers/{code}/review", {"rating": 9, "review": "Bagus"})
    assert_error(response, 422, "invalid_request")


def test_after_completion_a_second_training_can_be_bought(client, card, offering, platform):
    first = buy(client, card, offering)
    complete(client, first["voucher_code"], offering.training.provider.code)
    second = make_offering(platform=platform, price_idr=300_000)
    body = buy(client, card, second, order="ORD-2")
    assert body["balance_idr"] == 450_000
    assert Voucher.objects.get(code=body["voucher_code"]).sequence == 2


# --- signing ------------------------------------------------------------------------------------


def test_openapi_document_needs_no_auth(live_server):
    import requests

    response = requests.get(live_server.url + API + "/openapi.json", timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {"X-Partner-Key", "X-Timestamp", "X-Signature"}
    confirm = document["paths"][API + "/payments/{payment_id}/confirm"]["post"]
    assert {"200", "400", "401", "404", "409", "410", "422", "429"} <= set(confirm["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in confirm["parameters"])


def test_unsigned_request_is_401(client):
    response = client.raw("GET", "/offerings", b"", {})
    assert_error(response, 401, "missing_credentials")


def test_unknown_key_is_401(live_server, offering):
    stranger = PartnerClient(live_server.url, "pk_unknown", "secret")
    assert_error(stranger.get("/offerings"), 401, "unknown_key")


def test_revoked_key_is_401(client, platform):
    from trainings.models import PartnerCredential

    services.revoke_partner_key(credential=PartnerCredential.objects.get(key=client.key))
    assert_error(client.get("/offerings"), 401, "unknown_key")


def test_wrong_secret_is_401_invalid_signature(live_server, client):
    forger = PartnerClient(live_server.url, client.key, "not-the-secret")
    assert_error(forger.get("/offerings"), 401, "invalid_signature")


def test_tampered_body_is_401_and_does_nothing(client, card, offering, sms_outbox):
    body = json.dumps(
        {"card_number": card.card_number, "offering_code": offering.code, "partner_order_id": "A"}
    ).encode()
    headers = client.headers("POST", API + "/payments", body)
    headers.update({"Idempotency-Key": "tamper", "Content-Type": "application/json"})
    tampered = body.replace(b'"A"', b'"B"')
    assert_error(client.raw("POST", "/payments", tampered, headers), 401, "invalid_signature")
    assert not Payment.objects.exists()
    assert not sms_outbox


def test_signature_for_another_path_is_refused(client):
    headers = client.headers("GET", API + "/offerings", b"")
    response = client.raw("GET", "/offerings?page=2", b"", headers)
    assert_error(response, 401, "invalid_signature")
    good = client.headers("GET", API + "/offerings?page=2", b"")
    assert client.raw("GET", "/offerings?page=2", b"", good).status_code == 200


def test_stale_timestamp_is_401(client):
    assert_error(client.get("/offerings", timestamp=int(time.time()) - 301), 401, "stale_timestamp")
    assert_error(client.get("/offerings", timestamp=int(time.time()) + 301), 401, "stale_timestamp")
    assert client.get("/offerings", timestamp=int(time.time()) - 250).status_code == 200


# --- replay and idempotency ---------------------------------------------------------------------


def test_an_exact_replay_is_refused_and_debits_nothing_more(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    path = f"/payments/{payment_id}/confirm"
    body = json.dumps({"otp": last_otp()}).encode()
    headers = client.headers("POST", API + path, body)
    headers.update({"Idempotency-Key": "confirm-1", "Content-Type": "application/json"})
    first = client.raw("POST", path, body, headers)
    replayed = client.raw("POST", path, body, headers)  # the same bytes, captured and resent
    assert first.status_code == 200
    assert_error(replayed, 401, "request_replayed")
    retry = client.post(path, {"otp": last_otp()}, idempotency_key="confirm-1")  # re-signed
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    card.refresh_from_db()
    assert card.balance_idr == 750_000
    assert LedgerEntry.objects.filter(participant=card, kind="purchase").count() == 1


def test_idempotent_retry_of_start_payment_creates_one_payment_and_one_sms(
    client, card, offering, sms_outbox
):
    first = start(client, card, offering, idempotency_key="order-1")
    retry = start(client, card, offering, idempotency_key="order-1")  # re-signed, new timestamp
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert Payment.objects.count() == 1
    assert len(sms_outbox) == 1


def test_idempotent_retry_replays_an_error_without_counting_another_attempt(client, card, offering):
    payment_id = start(client, card, offering).json()["payment_id"]
    wrong = f"{(int(last_otp()) + 1) % 1_000_000:06d}"
    for _ in range(3):
        response = client.post(
            f"/payments/{payment_id}/confirm", {"otp": wrong}, idempotency_key="guess-1"
        )
        assert assert_error(response, 400, "otp_invalid")["attempts_left"] == 4
    assert Payment.objects.get(pk=payment_id).otp_attempts == 1


def test_same_idempotency_key_with_another_body_is_422(client, card, offering):
    assert start(client, card, offering, order="A", idempotency_key="same").status_code == 201
    response = start(client, card, offering, order="B", idempotency_key="same")
    assert_error(response, 422, "idempotency_key_reused")
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_idempotency_keys_are_per_platform(client, other_client, card, offering):
    mine = start(client, card, offering, idempotency_key="shared")
    assert mine.status_code == 201
    other_offering = make_offering(platform=PlatformFactory(code="lainnya"), price_idr=100_000)
    theirs = start(other_client, card, other_offering, order="X", idempotency_key="shared")
    assert theirs.status_code == 201  # its own payment, not a replay of the other platform's
    assert theirs.json()["payment_id"] != mine.json()["payment_id"]
    assert "Idempotent-Replayed" not in theirs.headers
