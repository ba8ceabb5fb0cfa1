"""Helpers for the purchase and partner API tests: a catalog, an active card, OTPs from the SMS
outbox, and a platform-side HTTP client that signs requests like a real partner."""

import json
import re
import uuid

import requests

from prakerja import sms
from sandbox.client import fresh_timestamp
from tests.factories import OfferingFactory, PlatformFactory, ProviderFactory, TrainingFactory
from trainings import services
from trainings.services.credentials import sign

API = "/api/partner/v1"


def last_otp(to: str | None = None) -> str:
    """The 6-digit code of the last OTP SMS (optionally to one phone) in the locmem outbox."""
    for message in reversed(sms.outbox):
        if to is None or message.to == sms.normalize_phone(to):
            found = re.search(r"\b(\d{6})\b", message.text)
            if found:
                return found.group(1)
    raise AssertionError(f"no OTP SMS in the outbox: {sms.outbox!r}")


def make_offering(*, platform=None, price_idr=250_000, provider=None, **kwargs):
    platform = platform or PlatformFactory()
    training = TrainingFactory(price_idr=price_idr, provider=provider or ProviderFactory())
    return OfferingFactory(training=training, platform=platform, price_idr=price_idr, **kwargs)


def complete_voucher(voucher, *, now=None):
    """Walk a voucher through redemption, pre-test and completion with the services."""
    from django.utils import timezone

    now = now or timezone.now()
    voucher = services.redeem_voucher(
        platform=voucher.payment.platform,
        code=voucher.code,
        provider_code=voucher.provider.code,
        now=now,
    )
    voucher = services.record_pretest(voucher=voucher, score=40, now=now)
    return services.record_completion(
        voucher=voucher,
        certificate_number=f"CERT-{voucher.code}",
        certificate_url=f"https://sertifikat.example/{voucher.code}",
        completed_at=now,
        score=85,
        now=now,
    )


class PartnerClient:
    """Signs and sends requests exactly as docs/partner-api.md tells a platform to."""

    def __init__(self, base_url: str, key: str, secret: str):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.secret = secret
        self.session = requests.Session()

    def headers(self, method: str, path: str, body: bytes, *, timestamp: int | None = None):
        fingerprint = f"{self.key}.{method}.{path}.".encode() + body
        ts = fresh_timestamp(fingerprint) if timestamp is None else str(timestamp)
        signature = sign(secret=self.secret, timestamp=ts, method=method, path=path, body=body)
        return {"X-Partner-Key": self.key, "X-Timestamp": ts, "X-Signature": signature}

    def get(self, path: str, **kwargs) -> requests.Response:
        full = API + path
        return self.session.get(
            self.base_url + full, headers=self.headers("GET", full, b"", **kwargs), timeout=30
        )

    def post(
        self,
        path: str,
        payload: dict,
        *,
        idempotency_key: str | None = None,
        timestamp: int | None = None,
        extra_headers: dict | None = None,
    ) -> requests.Response:
        full = API + path
        body = json.dumps(payload).encode()
        headers = self.headers("POST", full, body, timestamp=timestamp)
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        headers.update(extra_headers or {})
        return self.session.post(self.base_url + full, data=body, headers=headers, timeout=30)

    def raw(self, method: str, path: str, body: bytes, headers: dict) -> requests.Response:
        return self.session.request(
            method, self.base_url + API + path, data=body, headers=headers, timeout=30
        )
