"""Partner API v1 for digital platforms (docs/partner-api.md), mounted at ``/api/partner/v1/``.

Views are thin: the auth class identifies the platform, a selector scopes what it may see, one
service does the work, and every POST runs through ``run_idempotent`` so retries replay the first
response. Domain errors become ``{"error": {"code", "message"}}`` with the contract's status.
"""

import logging
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Header, NinjaAPI, Path, Status
from ninja.errors import HttpError, ValidationError

from participants.models import DomainError
from prakerja.metrics import instruments
from trainings import selectors, services
from trainings.api import schemas
from trainings.api.auth import SignedRequest
from trainings.models import Platform, Voucher
from trainings.services.errors import VoucherNotFound
from trainings.services.idempotency import request_fingerprint, run_idempotent

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "missing_credentials": 401,
    "unknown_key": 401,
    "stale_timestamp": 401,
    "invalid_signature": 401,
    "request_replayed": 401,
    "payload_too_large": 413,
    "service_unavailable": 503,
    "card_not_found": 404,
    "offering_not_found": 404,
    "payment_not_found": 404,
    "voucher_not_found": 404,
    "otp_invalid": 400,
    "otp_expired": 410,
    "otp_locked": 429,
    "too_many_otp_requests": 429,
    "invalid_request": 422,
    "idempotency_key_reused": 422,
}
DEFAULT_ERROR_STATUS = 409  # every other rule refusal (card, balance, voucher state) is a conflict

DESCRIPTION = """
API untuk mitra platform digital: pembayaran pelatihan dengan nomor Kartu Prakerja dan OTP,
voucher, pre-test, penyelesaian dan ulasan. Panduan lengkap: `docs/partner-api.md`.

Every request carries `X-Partner-Key`, `X-Timestamp` (Unix seconds, within 300 s of the server's
clock) and `X-Signature`: lowercase hex HMAC-SHA256 of
`"{timestamp}.{METHOD}.{path with query}.{raw body}"` under the platform's secret. Every POST
carries an `Idempotency-Key` (at most 255 characters): a retry with the same key and body gets
the first response again (with `Idempotent-Replayed: true`) without doing the work twice.
An exact signed request is accepted once: the same signature again is 401 `request_replayed`,
whatever its `Idempotency-Key`, so re-sign every retry with a fresh timestamp. A body above
64 KiB is 413 `payload_too_large`; a header or field that cannot be parsed is 401 or 422.
Errors are `{"error": {"code": "...", "message": "..."}}`.
""".strip()

SECURITY_SCHEMES = {
    "PartnerKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Partner-Key",
        "description": "The platform's key.",
    },
    "Timestamp": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Timestamp",
        "description": "Unix seconds; refused when more than 300 s from the server's clock.",
    },
    "Signature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Signature",
        "description": (
            "Lowercase hex HMAC-SHA256(secret, "
            '"{timestamp}.{METHOD}.{path with query}.{raw body}").'
        ),
    },
}


class PartnerAPI(NinjaAPI):
    """Adds to the generated OpenAPI document what ninja cannot say by itself: all three
    signature headers are required together, and every operation may answer 401. Every answer
    is counted by platform, operation, status and stable code (``prakerja.metrics``)."""

    def create_response(self, request, data, *args, status=None, **kwargs):
        response = super().create_response(request, data, *args, status=status, **kwargs)
        error = data.get("error") if isinstance(data, dict) else None
        platform = getattr(request, "auth", None)
        match = request.resolver_match
        instruments.count_partner_call(
            platform=platform.code if isinstance(platform, Platform) else "unknown",
            operation=match.url_name if match is not None else "unknown",
            status=response.status_code,
            code=error.get("code", "error") if isinstance(error, dict) else "ok",
        )
        return response

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {})
        components["securitySchemes"] = SECURITY_SCHEMES
        error_ref = {"$ref": "#/components/schemas/Error"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation["security"] = [{"PartnerKey": [], "Timestamp": [], "Signature": []}]
                operation["responses"]["401"] = {
                    "description": (
                        "Signature, key or timestamp refused, or the exact signed request was "
                        "already accepted (request_replayed)"
                    ),
                    "content": {"application/json": {"schema": error_ref}},
                }
                operation["responses"]["413"] = {
                    "description": "payload_too_large: a body above 64 KiB",
                    "content": {"application/json": {"schema": error_ref}},
                }
                operation["responses"]["422"] = operation["responses"].get("422") or {
                    "description": "invalid_request: a control character in the path or a header",
                    "content": {"application/json": {"schema": error_ref}},
                }
                operation["responses"]["503"] = {
                    "description": (
                        "service_unavailable: a write while the replay memory is unreachable"
                    ),
                    "content": {"application/json": {"schema": error_ref}},
                }
        return schema


api = PartnerAPI(
    title="Prakerja Partner API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="partner_v1",
    openapi_url="/openapi.json",
    docs_url=None,
    auth=SignedRequest(),
)


# --- errors -------------------------------------------------------------------------------------


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": str(message), **extra}}


def domain_error_response(exc: DomainError) -> tuple[int, dict]:
    extra = {}
    if "attempts_left" in exc.context:
        extra["attempts_left"] = exc.context["attempts_left"]
    status = STATUS_BY_CODE.get(exc.code, DEFAULT_ERROR_STATUS)
    return status, error_body(exc.code, exc.message, **extra)


@api.exception_handler(DomainError)
def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status, body = domain_error_response(exc)
    return api.create_response(request, body, status=status)


# Pydantic's error types in Indonesian (its own messages are English: "Field required").
VALIDATION_MESSAGES = {
    "missing": _lazy("wajib diisi"),
    "string_type": _lazy("harus berupa teks"),
    "string_too_short": _lazy("terlalu pendek (paling sedikit %(min_length)s karakter)"),
    "string_too_long": _lazy("terlalu panjang (paling banyak %(max_length)s karakter)"),
    "string_pattern_mismatch": _lazy("formatnya tidak sesuai"),
    "int_type": _lazy("harus berupa bilangan bulat"),
    "int_parsing": _lazy("harus berupa bilangan bulat"),
    "int_from_float": _lazy("harus berupa bilangan bulat"),
    "greater_than_equal": _lazy("paling kecil %(ge)s"),
    "greater_than": _lazy("harus lebih dari %(gt)s"),
    "less_than_equal": _lazy("paling besar %(le)s"),
    "less_than": _lazy("harus kurang dari %(lt)s"),
    "datetime_type": _lazy("harus berupa waktu ISO 8601"),
    "datetime_parsing": _lazy("harus berupa waktu ISO 8601"),
    "datetime_from_date_parsing": _lazy("harus berupa waktu ISO 8601"),
    "url_type": _lazy("harus berupa URL"),
    "url_parsing": _lazy("harus berupa URL yang valid"),
    "url_scheme": _lazy("harus berupa URL http atau https"),
    "bool_type": _lazy("harus true atau false"),
    "bool_parsing": _lazy("harus true atau false"),
    "dict_type": _lazy("harus berupa objek JSON"),
    "model_type": _lazy("harus berupa objek JSON"),
    "model_attributes_type": _lazy("harus berupa objek JSON"),
    "extra_forbidden": _lazy("tidak dikenal"),
    "json_invalid": _lazy("bukan JSON yang valid"),
}


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload"))
    template = VALIDATION_MESSAGES.get(error.get("type", ""))
    if template is None:
        text = _("nilainya tidak valid")
    else:
        try:
            text = str(template) % (error.get("ctx") or {})
        except (KeyError, TypeError, ValueError):
            text = _("nilainya tidak valid")
    return f"{where}: {text}" if where else text


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = "; ".join(_describe(error) for error in exc.errors[:5])
    message = _("Permintaan tidak valid: %(details)s") % {"details": details}
    return api.create_response(request, error_body("invalid_request", message), status=422)


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # a body that is not JSON
        message = _("Isi permintaan harus berupa JSON yang valid.")
        return api.create_response(request, error_body("invalid_request", message), status=422)
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", _("Tidak ditemukan.")), status=404)


@api.exception_handler(Exception)
def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("partner api error", extra={"path": request.path})
    message = _("Terjadi kesalahan pada server. Silakan coba lagi.")
    return api.create_response(request, error_body("server_error", message), status=500)


# --- helpers ------------------------------------------------------------------------------------

IdempotencyKey = Header(
    ...,
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    description="Unique per operation; a retry with the same key and body replays the answer.",
)


def _idempotent(
    request: HttpRequest, response: HttpResponse, key: str, work: Callable[[], tuple[int, dict]]
) -> Status:
    def guarded() -> tuple[int, dict]:
        try:
            return work()
        except DomainError as exc:
            return domain_error_response(exc)

    status, body, replayed = run_idempotent(
        platform=request.auth,
        key=key,
        fingerprint=request_fingerprint(
            method=request.method, path=request.get_full_path(), body=request.body
        ),
        work=guarded,
    )
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(status, body)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def voucher_body(voucher: Voucher) -> dict:
    training = voucher.training
    return {
        "code": voucher.code,
        "status": voucher.status,
        "training": {
            "title": training.title,
            "category": training.category,
            "mode": training.mode,
            "duration_hours": training.duration_hours,
        },
        "provider": {"code": voucher.provider.code, "name": voucher.provider.name},
        "payment_id": str(voucher.payment_id),
        "issued_at": _iso(voucher.issued_at),
        "redeemed_at": _iso(voucher.redeemed_at),
        "pretest_score": voucher.pretest_score,
        "completed_at": _iso(voucher.completed_at),
        "certificate_number": voucher.certificate_number,
        "certificate_url": voucher.certificate_url,
        "score": voucher.score,
        "rating": voucher.rating,
        "review": voucher.review,
    }


def _voucher(request: HttpRequest, code: str) -> Voucher:
    voucher = selectors.platform_voucher(platform=request.auth, code=code)
    if voucher is None:
        raise VoucherNotFound()
    return voucher


VoucherCode = Path(..., max_length=64, description="Kode voucher.")

# --- payments -----------------------------------------------------------------------------------


@api.post(
    "/payments",
    response={
        201: schemas.PaymentOut,
        404: schemas.Error,
        409: schemas.Error,
        422: schemas.Error,
        429: schemas.Error,
    },
    summary="Start a payment: check the card and send the OTP by SMS",
    description=(
        "409 codes of the card: `card_revoked` (revoked: missed deadline or fraud), `card_frozen` "
        "(frozen by staff while a fraud report is checked; may be unfrozen), `card_not_active`, "
        "`insufficient_balance`, `balance_expired`, `first_training_not_completed`; and "
        "`duplicate_partner_order`. See docs/partner-api.md section 5."
    ),
    tags=["payments"],
)
def create_payment(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.PaymentIn,
    idempotency_key: str = IdempotencyKey,
):
    def work() -> tuple[int, dict]:
        payment = services.start_payment(
            platform=request.auth,
            card_number=payload.card_number,
            offering_code=payload.offering_code,
            partner_order_id=payload.partner_order_id,
        )
        return 201, {
            "payment_id": str(payment.pk),
            "status": payment.status,
            "amount_idr": payment.amount_idr,
            "otp_expires_at": _iso(payment.otp_expires_at),
            "partner_order_id": payment.partner_order_id,
            "offering_code": payment.offering.code,
        }

    return _idempotent(request, response, idempotency_key, work)


@api.post(
    "/payments/{payment_id}/confirm",
    response={
        200: schemas.ConfirmOut,
        400: schemas.OtpError,
        404: schemas.Error,
        409: schemas.Error,
        410: schemas.Error,
        422: schemas.Error,
        429: schemas.Error,
    },
    summary="Confirm a payment with the participant's OTP: debit once and issue the voucher",
    description=(
        "The card rules are checked again at the debit: the same 409 codes as starting a payment "
        "(`card_revoked`, `card_frozen`, ...), and `payment_not_pending`."
    ),
    tags=["payments"],
)
def confirm_payment(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.ConfirmIn,
    payment_id: str = Path(..., max_length=64),
    idempotency_key: str = IdempotencyKey,
):
    def work() -> tuple[int, dict]:
        voucher = services.confirm_payment(
            platform=request.auth, payment_id=payment_id, otp=payload.otp
        )
        return 200, {
            "payment_id": str(voucher.payment_id),
            "status": voucher.payment.status,
            "voucher_code": voucher.code,
            "amount_idr": voucher.payment.amount_idr,
            "balance_idr": voucher.participant.balance_idr,
        }

    return _idempotent(request, response, idempotency_key, work)


# --- catalog ------------------------------------------------------------------------------------


@api.get(
    "/offerings",
    response={200: schemas.OfferingsOut},
    summary="The offerings this platform sells",
    tags=["catalog"],
)
def list_offerings(request: HttpRequest):
    offerings = selectors.platform_offerings(platform=request.auth)
    return Status(
        200,
        {
            "offerings": [
                {
                    "code": offering.code,
                    "title": offering.training.title,
                    "provider_code": offering.training.provider.code,
                    "provider_name": offering.training.provider.name,
                    "price_idr": offering.price_idr,
                    "url": offering.url,
                }
                for offering in offerings
            ]
        },
    )


# --- vouchers -----------------------------------------------------------------------------------


@api.get(
    "/vouchers/{code}",
    response={200: schemas.VoucherOut, 404: schemas.Error, 422: schemas.Error},
    summary="A voucher sold through this platform",
    tags=["vouchers"],
)
def get_voucher(request: HttpRequest, code: str = VoucherCode):
    return Status(200, voucher_body(_voucher(request, code)))


@api.post(
    "/vouchers/{code}/redeem",
    response={200: schemas.VoucherOut, 404: schemas.Error, 409: schemas.Error, 422: schemas.Error},
    summary="Redeem a voucher at its training provider (once)",
    tags=["vouchers"],
)
def redeem_voucher(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.RedeemIn,
    code: str = VoucherCode,
    idempotency_key: str = IdempotencyKey,
):
    def work() -> tuple[int, dict]:
        voucher = services.redeem_voucher(
            platform=request.auth, code=code, provider_code=payload.provider_code
        )
        return 200, voucher_body(voucher)

    return _idempotent(request, response, idempotency_key, work)


@api.post(
    "/vouchers/{code}/pretest",
    response={200: schemas.VoucherOut, 404: schemas.Error, 409: schemas.Error, 422: schemas.Error},
    summary="Report the pre-test score (0-100)",
    tags=["vouchers"],
)
def report_pretest(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.PretestIn,
    code: str = VoucherCode,
    idempotency_key: str = IdempotencyKey,
):
    def work() -> tuple[int, dict]:
        voucher = services.record_pretest(voucher=_voucher(request, code), score=payload.score)
        return 200, voucher_body(voucher)

    return _idempotent(request, response, idempotency_key, work)


@api.post(
    "/vouchers/{code}/completion",
    response={200: schemas.VoucherOut, 404: schemas.Error, 409: schemas.Error, 422: schemas.Error},
    summary="Report completion with the certificate",
    tags=["vouchers"],
)
def report_completion(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.CompletionIn,
    code: str = VoucherCode,
    idempotency_key: str = IdempotencyKey,
):
    def work() -> tuple[int, dict]:
        voucher = services.record_completion(
            voucher=_voucher(request, code),
            certificate_number=payload.certificate_number,
            certificate_url=payload.certificate_url,
            completed_at=payload.completed_at,
            score=payload.score,
        )
        return 200, voucher_body(voucher)

    return _idempotent(request, response, idempotency_key, work)


@api.post(
    "/vouchers/{code}/review",
    response={200: schemas.VoucherOut, 404: schemas.Error, 409: schemas.Error, 422: schemas.Error},
    summary="Submit the participant's rating (1-5) and review",
    tags=["vouchers"],
)
def submit_review(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.ReviewIn,
    code: str = VoucherCode,
    idempotency_key: str = IdempotencyKey,
):
    def work() -> tuple[int, dict]:
        voucher = services.submit_review(
            voucher=_voucher(request, code), rating=payload.rating, review=payload.review
        )
        return 200, voucher_body(voucher)

    return _idempotent(request, response, idempotency_key, work)
