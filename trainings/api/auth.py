"""Request signing as a django-ninja auth class: every operation of the partner API runs it."""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security.base import AuthBase

from participants.models import DomainError
from trainings.models import Platform
from trainings.services.credentials import authenticate_request
from trainings.services.errors import InvalidRequest


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    message = _("Isi permintaan melebihi batas ukuran.")


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _has_control_character(value: str) -> bool:
    return _CONTROL_CHARACTER.search(value) is not None


def read_body(request: HttpRequest) -> bytes:
    """The raw body, or :class:`PayloadTooLarge` above ``PARTNER_API_MAX_BODY_BYTES``.

    The declared length is checked before anything is read, the actual length after (a chunked
    body has none declared), and Django's own upload limit is answered the same way."""
    limit = settings.PARTNER_API_MAX_BODY_BYTES
    if _content_length(request) > limit:
        raise PayloadTooLarge()
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge() from None
    if len(body) > limit:
        raise PayloadTooLarge()
    return body


class SignedRequest(AuthBase):
    """``X-Partner-Key`` + ``X-Timestamp`` + ``X-Signature`` (HMAC-SHA256, docs/partner-api.md).

    Returns the calling :class:`Platform` (``request.auth``); a refusal raises an
    ``AuthenticationFailed`` that the API answers with 401 and its stable code. Before that, a
    body above the limit is 413 and a control character in the path or the Idempotency-Key 422,
    so no unparseable value reaches a query.
    """

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-Partner-Key"

    def __call__(self, request: HttpRequest) -> Platform:
        body = read_body(request)
        if _has_control_character(request.path) or _has_control_character(
            request.headers.get("Idempotency-Key", "")
        ):
            raise InvalidRequest(_("Path dan Idempotency-Key tidak boleh berisi karakter kontrol."))
        return authenticate_request(
            key=request.headers.get("X-Partner-Key"),
            timestamp=request.headers.get("X-Timestamp"),
            signature=request.headers.get("X-Signature"),
            method=request.method or "GET",
            path=request.get_full_path(),
            body=body,
        )
