"""A partner API v1 client, written the way an outside platform would write one.

It talks to the portal only over HTTP: every request is signed with HMAC-SHA256 over
``"{timestamp}.{METHOD}.{path}.{raw body}"`` (docs/partner-api.md), and every POST carries an
``Idempotency-Key`` chosen by the caller, so a retried form submission is answered with the
first response instead of doing the work twice.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/partner/v1"
TIMEOUT_SECONDS = 15


class PartnerApiError(Exception):
    """The portal refused a request (``code``/``message`` from its error body), or could not be
    reached. ``message`` is Indonesian and meant for the person at the storefront."""

    def __init__(self, *, status: int, code: str, message: str, details: dict | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        super().__init__(f"{status} {code}: {message}")


_used_lock = threading.Lock()
_used: dict[bytes, int] = {}  # request fingerprint -> the last X-Timestamp signed for it


def fresh_timestamp(fingerprint: bytes) -> str:
    """Unix seconds, moved one second on when the same request was already signed with it: the
    portal accepts an exact signed request only once (docs/partner-api.md, ``request_replayed``)."""
    now = int(time.time())
    with _used_lock:
        for old in [f for f, ts in _used.items() if ts < now - 600]:
            del _used[old]
        timestamp = max(now, _used.get(fingerprint, now - 1) + 1)
        _used[fingerprint] = timestamp
    return str(timestamp)


def sign(*, secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``"{timestamp}.{METHOD}.{path}.{raw body}"``."""
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PartnerClient:
    base_url: str  # scheme://host[:port], no trailing slash
    key: str
    secret: str

    def _call(
        self, method: str, path: str, payload: dict | None = None, *, idempotency_key: str = ""
    ) -> dict[str, Any]:
        path = API_PREFIX + path
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        timestamp = fresh_timestamp(f"{self.key}.{method}.{path}.".encode() + body)
        headers = {
            "Accept": "application/json",
            "X-Partner-Key": self.key,
            "X-Timestamp": timestamp,
            "X-Signature": sign(
                secret=self.secret, timestamp=timestamp, method=method, path=path, body=body
            ),
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(  # noqa: S310 (the portal's own http(s) origin)
            self.base_url + path, data=body if method != "GET" else None, method=method
        )
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise _api_error(error.code, error.read()) from error
        except (OSError, ValueError) as error:
            logger.warning("sandbox: partner API unreachable", extra={"error": str(error)})
            raise PartnerApiError(
                status=0,
                code="network_error",
                message=_("Portal Prakerja tidak dapat dihubungi. Silakan coba lagi."),
            ) from error

    # --- the calls of docs/partner-api.md -------------------------------------------------------

    def offerings(self) -> list[dict]:
        return self._call("GET", "/offerings")["offerings"]

    def start_payment(
        self, *, card_number: str, offering_code: str, partner_order_id: str, idempotency_key: str
    ) -> dict:
        return self._call(
            "POST",
            "/payments",
            {
                "card_number": card_number,
                "offering_code": offering_code,
                "partner_order_id": partner_order_id,
            },
            idempotency_key=idempotency_key,
        )

    def confirm_payment(self, *, payment_id: str, otp: str, idempotency_key: str) -> dict:
        return self._call(
            "POST", f"/payments/{payment_id}/confirm", {"otp": otp}, idempotency_key=idempotency_key
        )

    def voucher(self, *, code: str) -> dict:
        return self._call("GET", f"/vouchers/{code}")

    def redeem(self, *, code: str, provider_code: str, idempotency_key: str) -> dict:
        return self._call(
            "POST",
            f"/vouchers/{code}/redeem",
            {"provider_code": provider_code},
            idempotency_key=idempotency_key,
        )

    def pretest(self, *, code: str, score: int, idempotency_key: str) -> dict:
        return self._call(
            "POST", f"/vouchers/{code}/pretest", {"score": score}, idempotency_key=idempotency_key
        )

    def completion(
        self,
        *,
        code: str,
        certificate_number: str,
        certificate_url: str,
        completed_at: str,
        score: int,
        idempotency_key: str,
    ) -> dict:
        return self._call(
            "POST",
            f"/vouchers/{code}/completion",
            {
                "certificate_number": certificate_number,
                "certificate_url": certificate_url,
                "completed_at": completed_at,
                "score": score,
            },
            idempotency_key=idempotency_key,
        )


def _api_error(status: int, raw: bytes) -> PartnerApiError:
    try:
        body = json.loads(raw)
        error = body["error"]
        return PartnerApiError(
            status=status,
            code=str(error["code"]),
            message=str(error["message"]),
            details={k: v for k, v in {**body, **error}.items() if k not in ("error", "code")},
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("sandbox: unexpected partner API answer", extra={"status": status})
        return PartnerApiError(
            status=status,
            code="server_error",
            message=_("Terjadi gangguan di portal Prakerja (kode %(status)s). Coba lagi nanti.")
            % {"status": status},
        )
