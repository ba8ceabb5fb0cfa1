"""Incentive pages and the payout gateway's callback. Views are thin: authorize, select,
validate, call one service."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incentives import forms, payouts, selectors, services
from participants import otp, refusals
from participants.forms import OtpForm
from participants.models import DomainError
from participants.selectors import participant_for_user


def _participant(request: HttpRequest):
    participant = participant_for_user(user=request.user)
    if participant is None:
        raise Http404
    return participant


@login_required
def history(request: HttpRequest) -> HttpResponse:
    participant = _participant(request)
    installments = list(selectors.installments_for(participant=participant))
    account = selectors.payout_account_for(participant=participant)
    context = {
        "participant": participant,
        "installments": installments,
        "account": account,
        "surveys": services.survey_slots(participant=participant),
        "total_paid": sum(i.amount_idr for i in installments if i.status == "paid"),
        "needs_account_fix": any(i.status == "failed" for i in installments),
        "refusal": _payout_refusal(participant, installments, account),
    }
    return render(request, "incentives/history.html", context)


def _payout_refusal(participant, installments, account) -> refusals.Refusal | None:
    """The payment partner's latest refusal (a failed installment, or the account's validation)
    and what to fix; none for a revoked person, whose page says why nothing is paid."""
    if participant.status == participant.Status.REVOKED:
        return None
    failed = [i for i in installments if i.status == "failed" and i.reason_code]
    if failed:
        latest = failed[0]
        message = _("%(kind)s ke-%(n)d gagal dibayarkan: %(reason)s.") % {
            "kind": latest.get_kind_display(),
            "n": latest.number,
            "reason": latest.get_reason_code_display(),
        }
        return refusals.resolve(latest.reason_code, message=message, area="insentif")
    if account is not None and account.validation_reason and not account.validated_at:
        message = account.get_validation_reason_display()
        return refusals.resolve(account.validation_reason, message=message, area="insentif")
    return None


@login_required
def account_change(request: HttpRequest) -> HttpResponse:
    participant = _participant(request)
    account = selectors.payout_account_for(participant=participant)
    try:
        services.ensure_account_may_change(participant=participant)
    except DomainError as exc:
        # No form to fill in vain: only the reason and what to do next.
        context = {"account": account, "refusal": refusals.of_error(exc, area="insentif")}
        return render(request, "incentives/account_form.html", context)
    form = forms.PayoutAccountForm(request.POST or None)
    context = {"form": form, "account": account}
    if request.method == "POST" and form.is_valid():
        try:
            change = services.request_payout_account_change(
                participant=participant, **form.cleaned_data
            )
        except DomainError as exc:
            field = ACCOUNT_ERROR_FIELDS.get(exc.code)
            context["refusal"] = refusals.form_refusal(form, field, exc, area="insentif")
            status = 429 if exc.code == "payout_password_locked" else 200
            return render(request, "incentives/account_form.html", context, status=status)
        messages.info(request, _("Kode OTP telah dikirim lewat SMS ke nomor HP Anda."))
        return redirect("incentives:account_confirm", change_id=change.pk)
    return render(request, "incentives/account_form.html", context)


# Which field a refused account change is shown at (the rest above the form).
ACCOUNT_ERROR_FIELDS = {
    "wrong_password": "password",
    "invalid_account_number": "number",
    "ewallet_not_own_phone": "number",
}


@login_required
def account_confirm(request: HttpRequest, change_id) -> HttpResponse:
    participant = _participant(request)
    change = selectors.pending_change(participant=participant, change_id=change_id)
    form = OtpForm(request.POST or None)
    context = {"form": form, "change": change}
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_payout_account_change(
                participant=participant, change_id=change.pk, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            context["refusal"] = refusals.form_refusal(form, "code", exc, area="insentif")
            change.refresh_from_db(fields=["otp_attempts"])
        else:
            messages.success(
                request,
                _("Rekening berhasil diperbarui. Insentif yang gagal akan dicoba lagi otomatis."),
            )
            return redirect("incentives:history")
    if (spent := otp.spent(change, now=timezone.now())) is not None:
        # Locked or expired: no code form to fill in vain, only the way to a new code.
        context.update(spent=True, refusal=refusals.of_error(spent, area="insentif"))
    return render(request, "incentives/account_otp.html", context)


@login_required
def survey(request: HttpRequest, number: int) -> HttpResponse:
    participant = _participant(request)
    survey_obj = selectors.survey_with_questions(number=number)
    slot = next(
        (s for s in services.survey_slots(participant=participant) if s.survey.number == number),
        None,
    )
    if slot is None or slot.state != "open":
        # Not open yet (or already filled): say when, and offer no form to fill in vain.
        code = "survey_already_completed" if slot and slot.state == "done" else "survey_not_open"
        refusal = refusals.resolve(code, area="insentif")
        context = {"survey": survey_obj, "slot": slot, "refusal": refusal}
        return render(request, "incentives/survey.html", context)
    form = forms.SurveyForm(request.POST or None, survey=survey_obj)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_survey(
                participant=participant, survey=survey_obj, answers=form.answers()
            )
        except DomainError as exc:
            refusals.flash(request, refusals.of_error(exc, area="insentif"))
        else:
            messages.success(request, _("Terima kasih. Insentif survei Rp50.000 dijadwalkan."))
        return redirect("incentives:history")
    return render(request, "incentives/survey.html", {"form": form, "survey": survey_obj})


@csrf_exempt
@require_POST
def payout_callback(request: HttpRequest) -> JsonResponse:
    """Asynchronous results from the payout gateway: signed (``X-Signature`` over
    ``"{timestamp}.POST.{path}.{body}"``, the partner API's rule), timestamped (300 s) and
    replay-protected (an exact signed request, or an ``X-Callback-Id``, is accepted once).
    The result itself is checked with the gateway before it counts (``handle_callback``)."""
    signature = request.headers.get("X-Signature", "")
    ok = payouts.verify_signature(
        secret=settings.PAYOUT_HTTP_SECRET,
        timestamp=request.headers.get("X-Timestamp", ""),
        signature=signature,
        method="POST",
        path=request.get_full_path(),
        body=request.body,
        now=timezone.now(),
    )
    if not ok:
        return JsonResponse({"error": {"code": "invalid_signature"}}, status=401)
    callback_id = request.headers.get("X-Callback-Id", "")
    try:
        data = json.loads(request.body)
        key, status = str(data["idempotency_key"]), str(data["status"])
        reason_code = str(data.get("reason_code", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"error": {"code": "invalid_request"}}, status=422)
    if not callback_id or len(callback_id) > 100 or len(key) > 64 or "\x00" in key + status:
        return JsonResponse({"error": {"code": "invalid_request"}}, status=422)
    replay = selectors.callback_replay(callback_id=callback_id, signature=signature.strip().lower())
    if replay == "callback_id":
        return JsonResponse({"error": {"code": "callback_replayed"}}, status=409)
    if replay == "signature":
        return JsonResponse({"error": {"code": "request_replayed"}}, status=401)
    outcome = services.handle_callback(
        callback_id=callback_id,
        idempotency_key=key,
        status=status[:16],
        reason_code=reason_code[:32],
        signature=signature.strip().lower(),
    )
    if outcome == "replayed":
        return JsonResponse({"error": {"code": "callback_replayed"}}, status=409)
    return JsonResponse({"outcome": outcome})
