"""The sandbox storefront: an outside platform selling the demo offerings through the partner API.

Everything it knows about payments and vouchers it learns from the partner API over real HTTP,
at the request's own host, exactly as a platform on the internet would. What it keeps on its side
(the order it started, the pre-test it reported) lives in the visitor's session.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prakerja.links import portal_url_for
from sandbox import credentials
from sandbox.client import PartnerApiError, PartnerClient
from sandbox.forms import ActionForm, CardForm, CompletionForm, OtpForm, PretestForm

SESSION_KEY = "sandbox"


def _base_url(request: HttpRequest) -> str:
    # get_host() is checked against ALLOWED_HOSTS, so this is always our own origin.
    return f"{request.scheme}://{request.get_host()}"


def _api(request: HttpRequest, call: Callable[[PartnerClient], Any]) -> Any:
    """Run ``call`` with a client for the sandbox's credentials. A stored pair the portal
    refuses (401: revoked since) is dropped and provisioned again, once."""
    try:
        key, secret = credentials.partner_credentials()
    except credentials.SandboxNotProvisioned as error:
        raise PartnerApiError(
            status=503,
            code="sandbox_not_provisioned",
            message=_("Platform uji coba belum disiapkan. Jalankan: python manage.py seed_demo"),
        ) from error
    try:
        return call(PartnerClient(base_url=_base_url(request), key=key, secret=secret))
    except PartnerApiError as error:
        if error.status != 401 or credentials.from_settings():
            raise
    credentials.forget(key=key)
    key, secret = credentials.partner_credentials()
    return call(PartnerClient(base_url=_base_url(request), key=key, secret=secret))


def _store(request: HttpRequest) -> dict:
    return request.session.setdefault(SESSION_KEY, {"payments": {}, "pretests": {}})


def _save(request: HttpRequest) -> None:
    request.session.modified = True


def _unavailable(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "sandbox/unavailable.html", {"message": message}, status=503)


def _name(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("title") or value.get("name") or value.get("code") or "")
    return str(value or "")


def _describe(info: dict) -> dict:
    """Display names of a GET /vouchers/{code} answer (training and provider may be objects)."""
    labels = {
        "issued": _("Belum ditukarkan"),
        "redeemed": _("Sudah ditukarkan"),
        "completed": _("Pelatihan selesai"),
        "cancelled": _("Dibatalkan"),
    }
    return {
        "info": info,
        "training": _name(info.get("training")),
        "provider": _name(info.get("provider")),
        "status_label": labels.get(info.get("status", ""), info.get("status", "")),
    }


def _find_offering(offerings: list[dict], ref: str) -> dict:
    """An offering by its code, or by the last part of its URL (``…/pelatihan/001``)."""
    for offering in offerings:
        if offering["code"] == ref or offering["url"].rstrip("/").endswith(f"/pelatihan/{ref}"):
            return offering
    raise Http404


def _offerings_or_error(request: HttpRequest) -> list[dict] | HttpResponse:
    try:
        return _api(request, lambda client: client.offerings())
    except PartnerApiError as error:
        return _unavailable(request, error.message)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The catalog: this platform's offerings, from GET /offerings."""
    offerings = _offerings_or_error(request)
    if isinstance(offerings, HttpResponse):
        return offerings
    return render(request, "sandbox/index.html", {"offerings": offerings})


@require_http_methods(["GET", "POST"])
def offering(request: HttpRequest, ref: str) -> HttpResponse:
    """One training: "Bayar dengan Kartu Prakerja", then the card number (POST /payments)."""
    offerings = _offerings_or_error(request)
    if isinstance(offerings, HttpResponse):
        return offerings
    chosen = _find_offering(offerings, ref)
    paying = request.method == "POST" or request.GET.get("bayar") == "prakerja"
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = _api(
                request,
                lambda client: client.start_payment(
                    card_number=form.cleaned_data["card_number"],
                    offering_code=chosen["code"],
                    partner_order_id=f"SBX-{form.cleaned_data['order']}",
                    idempotency_key=f"payment-{form.cleaned_data['idem']}",
                ),
            )
        except PartnerApiError as error:
            messages.error(request, error.message)
            form = CardForm(initial={"card_number": form.cleaned_data["card_number"]})
        else:
            _store(request)["payments"][payment["payment_id"]] = {
                "title": chosen["title"],
                "amount_idr": payment["amount_idr"],
                "otp_expires_at": payment.get("otp_expires_at", ""),
            }
            _save(request)
            return redirect("sandbox:payment", payment_id=payment["payment_id"])
    return render(
        request, "sandbox/offering.html", {"offering": chosen, "paying": paying, "form": form}
    )


@require_http_methods(["GET", "POST"])
def payment(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The OTP step: POST /payments/{id}/confirm; on success, the voucher ("Pembayaran
    Berhasil")."""
    order = _store(request)["payments"].get(str(payment_id))
    if order is None:
        raise Http404
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            paid = _api(
                request,
                lambda client: client.confirm_payment(
                    payment_id=str(payment_id),
                    otp=form.cleaned_data["otp"],
                    idempotency_key=f"confirm-{form.cleaned_data['idem']}",
                ),
            )
        except PartnerApiError as error:
            # The API's message already says how many attempts are left ("otp_invalid").
            messages.error(request, error.message)
            form = OtpForm()
        else:
            messages.success(request, _("Pembayaran Berhasil"))
            return redirect("sandbox:voucher", code=paid["voucher_code"])
    return render(
        request,
        "sandbox/payment.html",
        {"order": order, "payment_id": payment_id, "form": form},
    )


@require_GET
def voucher(request: HttpRequest, code: str) -> HttpResponse:
    """The purchase after payment: its voucher and the next step the platform reports."""
    try:
        info = _api(request, lambda client: client.voucher(code=code))
    except PartnerApiError as error:
        if error.status == 404:
            raise Http404 from error
        return _unavailable(request, error.message)
    pretest_score = info.get("pretest_score", _store(request)["pretests"].get(code))
    return render(
        request,
        "sandbox/voucher.html",
        {
            **_describe(info),
            "code": code,
            "pretest_score": pretest_score,
            "redeem_form": ActionForm(),
            "pretest_form": PretestForm(initial={"score": 60}),
            "completion_form": CompletionForm(initial={"score": 85}),
        },
    )


def _voucher_action(
    request: HttpRequest, code: str, form, call: Callable[[PartnerClient, dict], Any], done: str
) -> bool:
    """Validate ``form``, make the call, and leave the outcome as a message. True on success."""
    if not form.is_valid():
        messages.error(request, _("Formulir tidak valid; periksa isian Anda."))
        return False
    try:
        _api(request, lambda client: call(client, form.cleaned_data))
    except PartnerApiError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.message)
        return False
    messages.success(request, done)
    return True


def _provider_code(request: HttpRequest, code: str) -> str:
    info = _api(request, lambda client: client.voucher(code=code))
    provider = info.get("provider")
    return provider.get("code", "") if isinstance(provider, dict) else str(provider or "")


@require_POST
def redeem(request: HttpRequest, code: str) -> HttpResponse:
    """ "Tukarkan voucher": the provider the voucher was issued for redeems it."""
    try:
        provider_code = _provider_code(request, code)
    except PartnerApiError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.message)
        return redirect("sandbox:voucher", code=code)
    _voucher_action(
        request,
        code,
        ActionForm(request.POST),
        lambda client, data: client.redeem(
            code=code, provider_code=provider_code, idempotency_key=f"redeem-{data['idem']}"
        ),
        _("Voucher berhasil ditukarkan di lembaga pelatihan."),
    )
    return redirect("sandbox:voucher", code=code)


@require_POST
def pretest(request: HttpRequest, code: str) -> HttpResponse:
    """ "Ikuti pre-test": report the pre-test score."""
    form = PretestForm(request.POST)
    reported = _voucher_action(
        request,
        code,
        form,
        lambda client, data: client.pretest(
            code=code, score=data["score"], idempotency_key=f"pretest-{data['idem']}"
        ),
        _("Pre-test selesai."),
    )
    if reported:
        _store(request)["pretests"][code] = form.cleaned_data["score"]
        _save(request)
    return redirect("sandbox:voucher", code=code)


@require_POST
def completion(request: HttpRequest, code: str) -> HttpResponse:
    """ "Selesaikan pelatihan": report completion with the certificate's number and URL."""
    certificate_url = portal_url_for("sandbox:certificate", code)
    _voucher_action(
        request,
        code,
        CompletionForm(request.POST),
        lambda client, data: client.completion(
            code=code,
            certificate_number=f"SBX-{code}",
            certificate_url=certificate_url,
            completed_at=timezone.now().isoformat(),
            score=data["score"],
            idempotency_key=f"completion-{data['idem']}",
        ),
        _("Pelatihan selesai. Sertifikat sudah terbit."),
    )
    return redirect("sandbox:voucher", code=code)


@require_GET
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate page the completion report links to."""
    try:
        info = _api(request, lambda client: client.voucher(code=code))
    except PartnerApiError as error:
        raise Http404 from error
    if info.get("status") != "completed":
        raise Http404
    return render(
        request,
        "sandbox/certificate.html",
        {**_describe(info), "code": code, "number": f"SBX-{code}"},
    )
