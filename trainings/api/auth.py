"""Request signing as a django-ninja auth class: every operation of the partner API runs it."""

from django.http import HttpRequest
from ninja.security.base import AuthBase

from trainings.models import Platform
from trainings.services.credentials import authenticate_request


class SignedRequest(AuthBase):
    """``X-Partner-Key`` + ``X-Timestamp`` + ``X-Signature`` (HMAC-SHA256, docs/partner-api.md).

    Returns the calling :class:`Platform` (``request.auth``); a refusal raises an
    ``AuthenticationFailed`` that the API answers with 401 and its stable code.
    """

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-Partner-Key"

    def __call__(self, request: HttpRequest) -> Platform:
        return authenticate_request(
            key=request.headers.get("X-Partner-Key"),
            timestamp=request.headers.get("X-Timestamp"),
            signature=request.headers.get("X-Signature"),
            method=request.method or "GET",
            path=request.get_full_path(),
            body=request.body,
        )
