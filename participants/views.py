"""Participant pages. Views are thin: authorize, select, validate, call one service."""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from participants import forms, otp, refusals, selectors, tasks
from participants.cards import deadlines, orientation
from participants.models import BlacklistEntry, DomainError
from participants.registration import basic_test, steps
from participants.registration import mail as registration_mail
from participants.services import registry_checks
from participants.waves import joining
from participants.waves.labels import application_label, participant_label
from prakerja import links, uploads
from prakerja.client_ip import client_ip


def _rate(setting: str):
    # Read at request time so deployments (and tests) can change the limit.
    return lambda group, request: getattr(settings, setting)


def _limited(request: HttpRequest, setting: str) -> HttpResponse:
    refusal = refusals.resolve(
        "rate_limited", context={"wait": refusals.rate_window_text(getattr(settings, setting))}
    )
    return render(request, "participants/rate_limited.html", {"refusal": refusal}, status=429)


def rate_limited(setting: str, key: str = "ip"):
    """Refuse POSTs over the configured rate with a friendly 429 page."""

    def decorator(view):
        limited_view = ratelimit(key=key, rate=_rate(setting), method="POST", block=False)(view)

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            response = limited_view(request, *args, **kwargs)
            return _limited(request, setting) if getattr(request, "limited", False) else response

        return wrapper

    return decorator


def participant_required(view):
    """Logged in and with a participant record (staff accounts have none)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        participant = selectors.participant_for_user(user=request.user)
        if participant is None:
            messages.error(request, _("Akun ini belum memiliki data peserta."))
            return redirect("dashboard")
        return view(request, participant, *args, **kwargs)

    return wrapper


def _step_redirect(request, participant, step: str):
    """Send the person to the first unfinished step before ``step``, if any."""
    first = selectors.first_unfinished_step(participant=participant)
    order = [url for _label, url, _done in selectors.next_steps(participant=participant)]
    if first is not None and order.index(first) < order.index(step):
        messages.info(request, _("Selesaikan langkah ini terlebih dahulu."))
        return redirect(first)
    return None


# --- account --------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """A refused login says what to do next (participants/refusals.py)."""

    authentication_form = forms.LoginForm

    def form_invalid(self, form):
        codes = [e.code for e in form.non_field_errors().as_data()]
        refused = next((c for c in codes if c in ("invalid_login", "inactive")), None)
        context = self.get_context_data(form=form)
        if refused:
            context["refusal"] = refusals.resolve(refused, area="registrasi")
        return self.render_to_response(context)


def _address_and(field: str):
    """A rate-limit key of one typed account or email (the POST ``field``) from one address
    (prakerja.client_ip): the people behind an address a carrier shares among thousands each
    count apart, and the address as a whole has a limit of its own (the ``*_PER_ADDRESS``
    settings)."""

    def key(group, request) -> str:
        typed = (request.POST.get(field) or "").strip().lower()
        return f"{client_ip(request)}|{typed}"

    return key


_login_key = _address_and("username")


login_view = rate_limited("RATELIMIT_LOGIN", key=_login_key)(
    rate_limited("RATELIMIT_LOGIN_PER_ADDRESS")(LoginView.as_view())
)


def login_locked_out(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer once an account or an address has failed too often (any login form,
    the admin's included): the Indonesian 429 page, saying how long the lock lasts. An account
    over its failures from every address (prakerja.login_limits) waits for the end of that
    window instead."""
    if getattr(request, "login_account_limited", False):
        return _limited(request, "LOGIN_FAILURES_PER_ACCOUNT")
    refusal = refusals.resolve("login_locked", area="registrasi")
    return render(request, "participants/rate_limited.html", {"refusal": refusal}, status=429)


def _reset_email_key(group, request) -> str:
    return (request.POST.get("email") or "").strip().lower() or "-"


# The address the "check your email" page names, in a signed cookie: registration is the
# launch-day peak's hottest form, and a session written to the store for every new visitor (two
# Redis round trips and a key kept for hours) only to carry this would cost more than the page.
REGISTERED_EMAIL_COOKIE = "prakerja_daftar"
REGISTERED_EMAIL_SALT = "participants.registered-email"
REGISTERED_EMAIL_MAX_AGE = 60 * 60


def _send_verification(request: HttpRequest, user) -> None:
    # Through Celery: a mail server's latency must not hold a web worker during a registration peak.
    # The link is on PORTAL_URL, never on the request's Host header.
    tasks.send_verification_email.delay(user.pk, steps.verification_url(user=user))


class PasswordResetView(auth_views.PasswordResetView):
    """The reset link is built on ``PORTAL_URL`` (not on the request's Host header)."""

    def form_valid(self, form):
        self.extra_email_context = {"portal_url": settings.PORTAL_URL.rstrip("/")}
        return super().form_valid(form)


# Each request sends an email: limited per address and per target email.
password_reset_view = rate_limited("RATELIMIT_PASSWORD_RESET")(
    rate_limited("RATELIMIT_PASSWORD_RESET", key=_reset_email_key)(
        PasswordResetView.as_view(
            success_url=reverse_lazy("password_reset_done"),
            subject_template_name="registration/password_reset_subject.txt",
        )
    )
)


@rate_limited("RATELIMIT_REGISTER_PER_ADDRESS")
@rate_limited("RATELIMIT_REGISTER", key=_address_and("email"))
def register(request: HttpRequest) -> HttpResponse:
    """The answer is the same whether the email is new or already registered (the owner of a
    registered email is told by email), so the page cannot be used to find out who has an
    account. Nobody is signed in here: the emailed link continues the registration."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            user = steps.register_user(
                full_name=form.cleaned_data["full_name"],
                email=email,
                password=form.cleaned_data["password"],
            )
        # Queued, not sent: a mail server's latency never holds a web worker, and the emails of
        # a registration peak go out in batches (participants/registration/mail.py). Both
        # answers take the same path, so the page takes the same time whichever it gives.
        except DomainError:  # email_taken
            registration_mail.queue_already_registered(
                email=email,
                login_url=links.portal_url_for("login"),
                reset_url=links.portal_url_for("password_reset"),
            )
        else:
            registration_mail.queue_verification(user_id=user.pk)
        response = redirect("register_done")
        response.set_signed_cookie(
            REGISTERED_EMAIL_COOKIE,
            email.strip().lower(),
            salt=REGISTERED_EMAIL_SALT,
            max_age=REGISTERED_EMAIL_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    return render(request, "participants/register.html", {"form": form})


def register_done(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if request.user.email_verified_at:
            return redirect("dashboard")
        email = request.user.email
    else:
        email = request.get_signed_cookie(
            REGISTERED_EMAIL_COOKIE,
            default=None,
            salt=REGISTERED_EMAIL_SALT,
            max_age=REGISTERED_EMAIL_MAX_AGE,
        )
        if not email:
            return redirect("register")
    return render(request, "participants/register_done.html", {"email": email})


@login_required
@require_POST
@rate_limited("RATELIMIT_REGISTER", key="user")
def resend_verification(request: HttpRequest) -> HttpResponse:
    if not request.user.email_verified_at:
        _send_verification(request, request.user)
        messages.success(request, _("Tautan konfirmasi baru telah dikirim ke email Anda."))
    return redirect("register_done")


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        user = steps.verify_email(token=token, now=now)
    except DomainError as exc:
        refusals.flash(request, refusals.of_error(exc, area="registrasi"))
        return redirect("register_done" if request.user.is_authenticated else "login")
    if user.email_verified_at == now and not request.user.is_authenticated:
        # The first click on the link proves the email and continues the registration signed
        # in; a later click (a forwarded or leaked link) signs nobody in.
        login(request, user, backend="prakerja.auth.UserWithParticipantBackend")
    messages.success(request, _("Email Anda sudah terkonfirmasi."))
    return redirect("identity")


# --- profile steps ----------------------------------------------------------------------------


# Which field a refused identity is shown on (the rest concern the NIK itself).
IDENTITY_ERROR_FIELDS = {
    "kk_format": "kk",
    "family_card_limit": "kk",
    "nik_district_mismatch": "district",
    "nik_gender_mismatch": "gender",
    "nik_birth_date_mismatch": "birth_date",
    "too_young": "birth_date",
    "too_old": "birth_date",
    "registry_nik_not_found": "nik",
    "registry_kk_mismatch": "kk",
    "registry_name_mismatch": "full_name",
    "registry_birth_date_mismatch": "birth_date",
}


def _identity_attempts_exceeded(request: HttpRequest) -> bool:
    """Count one identity submission against the account and the address (a few an hour each:
    the answer "NIK sudah terdaftar" confirms someone else's NIK); True when either is over."""
    over = False
    for group, key, setting in (
        ("identity-account", "user", "RATELIMIT_IDENTITY"),
        ("identity-address", "ip", "RATELIMIT_IDENTITY_ADDRESS"),
    ):
        over |= is_ratelimited(
            request,
            group=group,
            key=key,
            rate=getattr(settings, setting),
            method=is_ratelimited.ALL,
            increment=True,
        )
    return over


@participant_required
def identity(request: HttpRequest, participant) -> HttpResponse:
    if (early := _step_redirect(request, participant, "identity")) is not None:
        return early
    if participant.identity_done:
        return render(request, "participants/identity_done.html", {"participant": participant})
    refresh = "refresh" in request.POST
    context = {}
    if request.method == "POST" and refresh:
        # Only re-list the regions below the chosen one; keep what was typed, show no errors.
        form = forms.IdentityForm(initial=request.POST.dict())
    else:
        form = forms.IdentityForm(
            request.POST or None, initial={"full_name": participant.user.full_name}
        )
    if request.method == "POST" and not refresh and form.is_valid():
        if _identity_attempts_exceeded(request):
            steps.record_identity_refusal(
                participant=participant, code="rate_limited", address=client_ip(request)
            )
            return _limited(request, "RATELIMIT_IDENTITY")
        data = form.cleaned_data
        try:
            steps.submit_identity(
                participant=participant,
                nik=data["nik"],
                kk=data["kk"],
                birth_date=data["birth_date"],
                gender=data["gender"],
                district=data["district"],
                address=data["address"],
                education=data["education"],
                employment_status=data["employment_status"],
                full_name=data.get("full_name"),
            )
        except DomainError as exc:
            steps.record_identity_refusal(
                participant=participant, code=exc.code, address=client_ip(request)
            )
            field = IDENTITY_ERROR_FIELDS.get(exc.code, "nik")
            context["refusal"] = refusals.form_refusal(form, field, exc, area="registrasi")
        else:
            messages.success(request, _("Data identitas tersimpan."))
            return redirect("phone")
    context["form"] = form
    return render(request, "participants/identity.html", context)


@participant_required
@rate_limited("RATELIMIT_OTP", key="user")
def phone(request: HttpRequest, participant) -> HttpResponse:
    if (early := _step_redirect(request, participant, "phone")) is not None:
        return early
    if participant.phone_verified_at:
        messages.info(request, _("Nomor HP Anda sudah terverifikasi."))
        return redirect("dashboard")
    phone_form = forms.PhoneForm(request.POST or None, initial={"phone": participant.phone})
    context = {"form": phone_form}
    if request.method == "POST" and phone_form.is_valid():
        try:
            steps.request_phone_otp(participant=participant, phone=phone_form.cleaned_data["phone"])
        except DomainError as exc:
            context["refusal"] = refusals.form_refusal(phone_form, "phone", exc, area="registrasi")
        else:
            messages.success(request, _("Kode OTP telah dikirim lewat SMS."))
            return redirect("phone_verify")
    return render(request, "participants/phone.html", context)


@participant_required
def phone_verify(request: HttpRequest, participant) -> HttpResponse:
    if participant.phone_verified_at:
        return redirect("dashboard")
    pending = participant.otps.filter(verified_at__isnull=True).order_by("-created_at").first()
    if pending is None:
        return redirect("phone")
    form = forms.OtpForm(request.POST or None)
    context = {"form": form, "pending": pending, "masked_phone": pending.phone[:-4] + "****"}
    if request.method == "POST" and form.is_valid():
        try:
            steps.verify_phone_otp(participant=participant, code=form.cleaned_data["code"])
        except DomainError as exc:
            context["refusal"] = refusals.form_refusal(form, "code", exc, area="registrasi")
            pending.refresh_from_db(fields=["otp_attempts"])
        else:
            messages.success(request, _("Nomor HP terverifikasi."))
            return redirect("declarations")
    if (spent := otp.spent(pending, now=timezone.now())) is not None:
        # Locked or expired: no code form to fill in vain, only the way to a new code.
        context.update(spent=True, refusal=refusals.of_error(spent, area="registrasi"))
    return render(request, "participants/phone_verify.html", context)


@participant_required
def declarations(request: HttpRequest, participant) -> HttpResponse:
    if (early := _step_redirect(request, participant, "declarations")) is not None:
        return early
    initial = {}
    if participant.declared_at:
        initial = {
            name: "1" if getattr(participant, name) else "0"
            for name in ("is_student", "is_civil_servant", "receives_social_aid", "is_unemployed")
        }
    form = forms.DeclarationsForm(request.POST or None, initial=initial)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            steps.submit_declarations(
                participant=participant,
                is_student=data["is_student"],
                is_civil_servant=data["is_civil_servant"],
                receives_social_aid=data["receives_social_aid"],
                is_unemployed=data["is_unemployed"],
            )
        except DomainError as exc:
            context["refusal"] = refusals.of_error(exc, area="registrasi")
        else:
            messages.success(request, _("Pernyataan tersimpan."))
            return redirect("basic_test" if not participant.test_passed_at else "dashboard")
    return render(request, "participants/declarations.html", context)


@participant_required
def basic_test_intro(request: HttpRequest, participant) -> HttpResponse:
    if (early := _step_redirect(request, participant, "basic_test")) is not None:
        return early
    if request.method == "POST":
        try:
            basic_test.start_attempt(participant=participant)
        except DomainError as exc:
            refusals.flash(request, refusals.of_error(exc, area="registrasi"))
            return redirect("basic_test")
        return redirect("basic_test_take")
    retry_at = basic_test.next_attempt_at(participant=participant)
    context = {
        "participant": participant,
        "last": participant.test_attempts.filter(submitted_at__isnull=False).first(),
        "open": basic_test.open_attempt(participant=participant),
        "retry_at": retry_at if retry_at and retry_at > timezone.now() else None,
        "questions": settings.BASIC_TEST_QUESTIONS,
        "minutes": settings.BASIC_TEST_MINUTES,
        "pass_mark": settings.BASIC_TEST_PASS_MARK,
    }
    return render(request, "participants/basic_test_intro.html", context)


@participant_required
def basic_test_take(request: HttpRequest, participant) -> HttpResponse:
    attempt = basic_test.open_attempt(participant=participant)
    if attempt is None:
        return redirect("basic_test")
    questions = basic_test.questions_for(attempt=attempt)
    if request.method == "POST":
        answers = {str(q.pk): request.POST.get(f"q{q.pk}", "") for q in questions}
        try:
            attempt = basic_test.submit_attempt(attempt=attempt, answers=answers)
        except DomainError as exc:
            refusals.flash(request, refusals.of_error(exc, area="registrasi"))
            return redirect("basic_test")
        if attempt.passed:
            messages.success(
                request, _("Selamat, Anda lulus tes dengan nilai %(s)d.") % {"s": attempt.score}
            )
            return redirect("dashboard")
        if attempt.late:
            code, text = "test_late", _("Waktu tes sudah habis. Jawaban tidak dapat dinilai.")
        else:
            code = "test_failed"
            text = _("Nilai Anda %(s)d, belum mencapai batas lulus.") % {"s": attempt.score}
        retry_at = basic_test.next_attempt_at(participant=participant)
        refusal = refusals.resolve(
            code, message=text, area="registrasi", context={"retry_at": retry_at}
        )
        refusals.flash(request, refusal)
        return redirect("basic_test")
    context = {"attempt": attempt, "questions": questions}
    return render(request, "participants/basic_test_take.html", context)


# --- waves ----------------------------------------------------------------------------------------


@participant_required
@require_POST
def join_wave(request: HttpRequest, participant, number: int) -> HttpResponse:
    wave = selectors.wave_by_number(number=number)
    try:
        joining.join_wave(participant=participant, wave=wave)
    except DomainError as exc:
        refusals.flash(request, refusals.of_error(exc, area="registrasi"))
    else:
        messages.success(
            request, _("Anda bergabung di Gelombang %(n)d. Tunggu pengumuman.") % {"n": number}
        )
    return redirect("dashboard")


# --- orientation ------------------------------------------------------------------------------


@participant_required
def orientation_page(request: HttpRequest, participant) -> HttpResponse:
    videos = selectors.orientation_videos(participant=participant)
    context = {"participant": participant, "videos": videos}
    return render(request, "participants/orientation.html", context)


@participant_required
@require_POST
def orientation_event(request: HttpRequest, participant, pk: int, event: str) -> HttpResponse:
    video = selectors.video_for_participant(pk=pk)
    action = {"mulai": orientation.start_video, "selesai": orientation.complete_video}.get(event)
    if action is None:
        raise Http404
    try:
        progress = action(participant=participant, video=video)
    except DomainError as exc:
        refusal = refusals.of_error(exc)
        error = {"code": exc.code, "message": refusal.message, "next_step": refusal.next_step}
        return JsonResponse({"error": error}, status=409)
    return JsonResponse({"completed": progress.completed_at is not None})


@participant_required
def orientation_file(request: HttpRequest, participant, pk: int) -> HttpResponse:
    video = selectors.video_for_participant(pk=pk)
    return uploads.serve(video.file, uploads.VIDEO, filename=f"orientasi-{video.order}")


def _revoke_reason_text(code: str) -> str:
    labels = dict(BlacklistEntry.Reason.choices)
    return str(labels.get(code, code))


# --- dashboard --------------------------------------------------------------------------------


def _first_training_progress(participant) -> str:
    # Trainings owns vouchers and participants may not import it: the project wires the reader
    # (settings.PARTICIPANTS_FIRST_TRAINING_PROGRESS): "bought", "completed", "reviewed" or "".
    reader = getattr(settings, "PARTICIPANTS_FIRST_TRAINING_PROGRESS", "")
    return import_string(reader)(participant=participant) if reader else ""


# The complaint form's category ("category:subcategory", complaints.forms.TOPIC_CHOICES) that fits
# each dashboard state; the dashboard's "Ajukan pengaduan" link pre-fills it.
COMPLAINT_TOPIC = {
    "registering": "registrasi:lainnya",
    "ready": "registrasi:lainnya",
    "active": "pembelian:",
    "expired": "pembelian:",
    "finished": "insentif:",
}


def _registry_refusal(participant) -> refusals.Refusal | None:
    """A later civil-registry check found the stored identity different: what and what to do."""
    if participant.registry_status != participant.RegistryStatus.MISMATCH:
        return None
    error = registry_checks.mismatch_error(participant.registry_field or "nik")
    return refusals.of_error(error, area="registrasi")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    participant = selectors.participant_for_user(user=request.user)
    context = {"participant": participant}
    if participant is not None:
        now = timezone.now()
        applications = selectors.applications_of(participant=participant)
        label = participant_label(participant, applications, now=now)
        complaint_topic = COMPLAINT_TOPIC.get(label.code, "lainnya:")
        last_day = selectors.last_day_to_buy(participant)
        first_training = ""
        if participant.status == participant.Status.ACTIVE and participant.first_purchase_at:
            first_training = _first_training_progress(participant)
        selection_refusal = None
        reason = applications[0].reason_code if applications else ""
        if label.code == "not_selected" and reason:
            # "Belum berhasil" with a reason: that reason's next step and complaint category.
            selection_refusal = refusals.resolve(reason, area="registrasi")
            complaint_topic = refusals.next_step(reason).topic or complaint_topic
        context.update(
            label=label,
            application=applications[0] if applications else None,
            history=[
                (a, application_label(a, now=now, participant_status=participant.status))
                for a in applications
            ],
            complaint_url=refusals.complaint_url(complaint_topic),
            selection_refusal=selection_refusal,
            registry_refusal=_registry_refusal(participant),
            blacklist=(
                selectors.blacklist_entry_of(participant=participant)
                if participant.status == participant.Status.REVOKED
                else None
            ),
            # What staff told the person about a freeze or a revocation for fraud (never
            # their internal note).
            status_event=(
                selectors.last_status_change(participant=participant)
                if participant.status == participant.Status.FROZEN
                or participant.revoke_reason
                in (BlacklistEntry.Reason.FRAUD, BlacklistEntry.Reason.OTHER)
                else None
            ),
            steps=selectors.next_steps(participant=participant),
            open_waves=(
                selectors.open_waves(now=now)
                if participant.status == participant.Status.APPLICANT
                and participant.profile_complete
                else []
            ),
            joined_wave_ids={a.wave_id for a in applications},
            revoke_reason=_revoke_reason_text(participant.revoke_reason),
            last_day=last_day,
            first_training=first_training,
            days_left=deadlines.days_before(last_day, now) + 1 if last_day else None,
        )
    return render(request, "participants/dashboard.html", context)
