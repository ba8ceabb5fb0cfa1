"""Every refusal a participant meets in the browser says what to do next, with the complaint
form and its category pre-filled where one fits ("forms that forgive": no dead ends).

The inventory below walks each refusal through the real pages (the test client, as a browser
would post). The next step and the complaint category come from one table,
``participants.refusals.NEXT_STEPS``; a second test fails when a service raises a code that table
does not know.
"""

import ast
import datetime as dt
import html
import json
import re
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incentives import services as incentive_services
from participants.demo import seed_question_bank, seed_videos
from participants.models import Application, BlacklistEntry, Participant
from participants.registration import basic_test, steps
from prakerja import crypto, sms
from tests.factories import (
    DEFAULT_PASSWORD,
    OfferingFactory,
    ParticipantFactory,
    UserFactory,
    WaveFactory,
    make_active_participant,
    make_nik,
)
from tests.incentives.helpers import eligible_participant
from tests.trainings.test_pages_my_trainings import make_voucher
from trainings.models import Voucher

from .conftest import BIRTH
from .test_registration import _identity_post

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


def _body(response) -> str:
    return response.content.decode()


def _login(client, participant) -> Participant:
    client.force_login(participant.user)
    return participant


def _unverified_phone(**kwargs) -> Participant:
    return ParticipantFactory(
        phone="", phone_verified_at=None, declared_at=None, test_passed_at=None, **kwargs
    )


def _otp_sent(client) -> Participant:
    participant = _login(client, _unverified_phone())
    client.post(reverse("phone"), {"phone": "081299990001"})
    return participant


def _identity(client, new_user, **overrides) -> str:
    client.force_login(new_user)
    return _body(client.post(reverse("identity"), _identity_post(**overrides)))


def _not_selected(client, reason: str) -> str:
    participant = _login(client, ParticipantFactory())
    wave = WaveFactory(
        opens_at=timezone.now() - dt.timedelta(days=10),
        closes_at=timezone.now() - dt.timedelta(days=5),
        announces_at=timezone.now() - dt.timedelta(days=4),
    )
    Application.objects.create(
        participant=participant,
        wave=wave,
        joined_at=wave.opens_at,
        status=Application.Status.NOT_SELECTED,
        reason_code=reason,
        decided_at=wave.announces_at,
    )
    return _body(client.get(reverse("dashboard")))


def _join(client, participant, wave=None) -> str:
    _login(client, participant)
    wave = wave or WaveFactory()
    return _body(client.post(reverse("join_wave", args=[wave.number]), follow=True))


def _in_status(status: str) -> Participant:
    from participants import services

    participant = make_active_participant()
    if status == "revoked":
        services.revoke_participation(participant=participant, reason_code="fraud", note="uji")
    elif status == "frozen":
        services.freeze_card(
            participant=participant,
            reason="uji",
            participant_reason="Diperiksa petugas.",
            actor=None,
        )
    elif status != "active":
        services.transition_status(participant=participant, to=status, reason_code="test")
    participant.refresh_from_db()
    return participant


def _rekomendasi(client, participant) -> str:
    OfferingFactory()
    _login(client, participant)
    return _body(client.get(reverse("trainings:recommendations")))


def _account_change(client, *, twice: bool = False, **data) -> str:
    participant = _login(client, make_active_participant())
    post = {"kind": "bni", "number": "1234567890", "holder_name": participant.user.full_name}
    post["password"] = DEFAULT_PASSWORD
    post.update(data)
    if twice:
        client.post(reverse("incentives:account_change"), post)
    return _body(client.post(reverse("incentives:account_change"), post))


def _account_otp(client, codes: list[str], *, later: bool = False) -> str:
    participant = _login(client, make_active_participant())
    change = incentive_services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind="bni",
        number="1234567890",
        holder_name=participant.user.full_name,
    )
    url = reverse("incentives:account_confirm", kwargs={"change_id": change.pk})
    body = ""
    for code in codes:
        if later:
            with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
                body = _body(client.post(url, {"code": code}))
        else:
            body = _body(client.post(url, {"code": code}))
    return body


def _payout_failed(client, suffix: str) -> str:
    now = timezone.now()
    participant = eligible_participant(now=now, number=f"12345678{suffix}", validated=True)
    incentive_services.run_disbursement(now=now)
    _login(client, participant)
    return _body(client.get(reverse("incentives:history")))


def _orientation(client, participant, order: int) -> str:
    from participants.models import OrientationVideo

    seed_videos(duration_seconds=3)
    _login(client, participant)
    video = OrientationVideo.objects.get(order=order)
    response = client.post(reverse("orientation_event", args=[video.pk, "mulai"]))
    return response.content.decode()


# --- the scenarios: (id, code, area, how the person meets it) -----------------------------------


def s_invalid_login(client, new_user):
    user = UserFactory()
    return _body(client.post(reverse("login"), {"username": user.email, "password": "salah"}))


def s_login_locked(client, new_user):
    user = UserFactory()
    ip = _address()  # the lock holds the account from this address
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/masuk/", {"username": user.email, "password": "x"}, REMOTE_ADDR=ip)
    data = {"username": user.email, "password": DEFAULT_PASSWORD}
    return _body(client.post("/masuk/", data, REMOTE_ADDR=ip))


def s_rate_limited(client, new_user, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_REGISTER = "1/m"
    ip = _address()
    client.post(reverse("register"), {"full_name": "A"}, REMOTE_ADDR=ip)
    return _body(client.post(reverse("register"), {"full_name": "A"}, REMOTE_ADDR=ip))


def s_upload_too_large(client, new_user):
    body = b"x"
    big = str(300 * 1024 * 1024)
    kind = "multipart/form-data; boundary=x"
    return _body(client.post("/pengaduan/", body, content_type=kind, CONTENT_LENGTH=big))


def s_email_link_expired(client, new_user):
    token = steps.email_verification_token(user=new_user)
    later = timezone.now() + dt.timedelta(seconds=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS + 60)
    with time_machine.travel(later):
        return _body(client.get(reverse("verify_email", args=[token]), follow=True))


def s_email_link_invalid(client, new_user):
    return _body(client.get(reverse("verify_email", args=["rusak"]), follow=True))


def s_reset_link_invalid(client, new_user):
    url = reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "rusak-rusak"})
    return _body(client.get(url, follow=True))


def s_nik_taken(client, new_user, areas):
    ParticipantFactory(nik=make_nik(birth_date=BIRTH, serial=77))
    return _identity(client, new_user)


def s_nik_blacklisted(client, new_user, areas):
    nik = make_nik(birth_date=BIRTH, serial=77)
    BlacklistEntry.objects.create(
        nik_hash=crypto.keyed_hash(nik),
        full_name="X",
        reason_code="fraud",
        created_at=timezone.now(),
    )
    return _identity(client, new_user)


def s_family_card_limit(client, new_user, areas):
    ParticipantFactory.create_batch(2, kk="3201010101010001")
    return _identity(client, new_user)


def s_nik_province(client, new_user, areas):
    return _identity(client, new_user, nik="9901011506950077")


def s_nik_district_mismatch(client, new_user, areas):
    return _identity(client, new_user, nik=make_nik(district_code="320102", birth_date=BIRTH))


def s_nik_birth_date_mismatch(client, new_user, areas):
    return _identity(client, new_user, birth_date="1990-01-01")


def s_nik_gender_mismatch(client, new_user, areas):
    return _identity(client, new_user, gender="F")


def s_too_young(client, new_user, areas):
    young = dt.date(2015, 1, 1)
    return _identity(client, new_user, nik=make_nik(birth_date=young), birth_date="2015-01-01")


def s_phone_taken(client, new_user):
    ParticipantFactory(phone="+6281299990001")
    _login(client, _unverified_phone())
    return _body(client.post(reverse("phone"), {"phone": "081299990001"}))


def s_phone_invalid(client, new_user):
    _login(client, _unverified_phone())
    return _body(client.post(reverse("phone"), {"phone": "12345"}))


def s_sms_failed(client, new_user, monkeypatch):
    def fail(**kwargs):
        raise sms.SmsError("down")

    monkeypatch.setattr(sms, "send_sms", fail)
    _login(client, _unverified_phone())
    return _body(client.post(reverse("phone"), {"phone": "081299990001"}))


def s_phone_too_many_otp_requests(client, new_user):
    _otp_sent(client)
    return _body(client.post(reverse("phone"), {"phone": "081299990001"}))


def s_phone_otp_invalid(client, new_user):
    _otp_sent(client)
    return _body(client.post(reverse("phone_verify"), {"code": "000000"}))


def s_phone_otp_locked(client, new_user):
    _otp_sent(client)
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        client.post(reverse("phone_verify"), {"code": "000000"})
    return _body(client.post(reverse("phone_verify"), {"code": "000000"}))


def s_phone_otp_expired(client, new_user):
    _otp_sent(client)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.OTP_TTL_SECONDS + 5)):
        return _body(client.post(reverse("phone_verify"), {"code": "000000"}))


def s_declarations_locked(client, new_user):
    participant = ParticipantFactory()
    now = timezone.now()
    Application.objects.create(participant=participant, wave=WaveFactory(), joined_at=now)
    _login(client, participant)
    data = dict.fromkeys(("is_student", "is_civil_servant", "receives_social_aid"), "0")
    data.update(is_unemployed="1", truthful="on")
    return _body(client.post(reverse("declarations"), data))


def _failed_test(participant):
    seed_question_bank()
    attempt = basic_test.start_attempt(participant=participant)
    basic_test.submit_attempt(attempt=attempt, answers={})


def s_test_retry_later(client, new_user):
    participant = _login(client, ParticipantFactory(test_passed_at=None))
    _failed_test(participant)
    return _body(client.post(reverse("basic_test"), follow=True))


def s_test_failed(client, new_user):
    seed_question_bank()
    _login(client, ParticipantFactory(test_passed_at=None))
    client.post(reverse("basic_test"))
    return _body(client.post(reverse("basic_test_take"), {}, follow=True))


def s_test_late(client, new_user):
    seed_question_bank()
    _login(client, ParticipantFactory(test_passed_at=None))
    client.post(reverse("basic_test"))
    later = timezone.now() + dt.timedelta(minutes=settings.BASIC_TEST_MINUTES + 5)
    with time_machine.travel(later):
        return _body(client.post(reverse("basic_test_take"), {}, follow=True))


def s_question_bank_too_small(client, new_user):
    _login(client, ParticipantFactory(test_passed_at=None))
    return _body(client.post(reverse("basic_test"), follow=True))


def s_wave_not_open(client, new_user):
    closed = WaveFactory(
        opens_at=timezone.now() - dt.timedelta(days=9),
        closes_at=timezone.now() - dt.timedelta(days=2),
    )
    return _join(client, ParticipantFactory(), closed)


def s_profile_incomplete(client, new_user):
    return _join(client, ParticipantFactory(test_passed_at=None))


def s_join_blacklisted(client, new_user):
    participant = ParticipantFactory()
    BlacklistEntry.objects.create(
        nik_hash=participant.nik_hash, full_name="X", reason_code="fraud", created_at=timezone.now()
    )
    return _join(client, participant)


def s_join_already_participant(client, new_user):
    return _join(client, make_active_participant())


def s_already_joined(client, new_user):
    participant, wave = ParticipantFactory(), WaveFactory()
    _join(client, participant, wave)
    return _join(client, participant, wave)


def s_already_waiting(client, new_user):
    participant = ParticipantFactory()
    _join(client, participant, WaveFactory())
    return _join(client, participant, WaveFactory())


def _selection(reason):
    def scenario(client, new_user):
        return _not_selected(client, reason)

    scenario.selection = True  # shown in the dashboard's "Belum berhasil" explanation
    return scenario


def s_orientation_not_selected(client, new_user):
    return _orientation(client, ParticipantFactory(), 1)


def s_video_out_of_order(client, new_user):
    selected = make_active_participant(status=Participant.Status.SELECTED, oriented_at=None)
    return _orientation(client, selected, 2)


def _purchase(status):
    return lambda client, new_user: _rekomendasi(client, _in_status(status))


def s_not_yet_selected(client, new_user):
    return _rekomendasi(client, ParticipantFactory())


def s_card_not_active(client, new_user):
    selected = make_active_participant(status=Participant.Status.SELECTED, oriented_at=None)
    return _rekomendasi(client, selected)


def s_first_training_not_completed(client, new_user):
    participant = make_active_participant()
    make_voucher(participant=participant)
    return _rekomendasi(client, participant)


def s_training_not_completed(client, new_user):
    participant = _login(client, make_active_participant())
    voucher = make_voucher(participant=participant, status=Voucher.Status.REDEEMED)
    data = {"rating": "5", "review": "Bagus sekali pelatihannya."}
    url = reverse("trainings:review", args=[voucher.pk])
    return _body(client.post(url, data, follow=True))


def s_survey_not_open(client, new_user):
    incentive_services.ensure_default_surveys()
    _login(client, make_active_participant())
    return _body(client.get(reverse("incentives:survey", kwargs={"number": 1})))


def s_wrong_password(client, new_user):
    return _account_change(client, password="bukan-sandinya")


def s_payout_password_locked(client, new_user, settings):
    settings.PAYOUT_PASSWORD_MAX_FAILURES = 1
    return _account_change(client, password="bukan-sandinya", twice=True)


def _account_page(status: str):
    def scenario(client, new_user):
        _login(client, _in_status(status))
        return _body(client.get(reverse("incentives:account_change")))

    return scenario


def s_invalid_account_number(client, new_user):
    return _account_change(client, number="123")


def s_ewallet_not_own_phone(client, new_user):
    return _account_change(client, kind="ovo", number="081200000000")


def s_payout_too_many_otp_requests(client, new_user):
    return _account_change(client, twice=True)


def s_payout_otp_invalid(client, new_user):
    return _account_otp(client, ["000000"])


def s_payout_otp_locked(client, new_user):
    return _account_otp(client, ["000000"] * (settings.OTP_MAX_ATTEMPTS + 1))


def s_payout_otp_expired(client, new_user):
    return _account_otp(client, ["000000"], later=True)


def _payout(suffix):
    return lambda client, new_user: _payout_failed(client, suffix)


def s_complaint_rate_limited(client, new_user, settings):
    settings.RATELIMIT_ENABLE = True
    settings.COMPLAINT_RATE_PER_EMAIL = "1/h"
    data = {
        "name": "Rudi",
        "phone": "081234567890",
        "email": f"{uuid.uuid4().hex[:8]}@contoh.id",
        "topic": "lainnya:",
        "description": "Saya tidak dapat membuka halaman pelatihan sejak kemarin.",
        "consent": "on",
    }
    ip = _address()
    client.post(reverse("complaints:file"), data, REMOTE_ADDR=ip)
    return _body(client.post(reverse("complaints:file"), data, REMOTE_ADDR=ip))


def s_tracking_link_invalid(client, new_user):
    return _body(client.get(reverse("complaints:track", kwargs={"token": "rusak"})))


def s_csrf_failed(client, new_user):
    strict = Client(enforce_csrf_checks=True)  # a form posted without its (expired) token
    return _body(strict.post(reverse("login"), {"username": "a@contoh.id", "password": "x"}))


def s_not_found(client, new_user):
    return _body(client.get("/halaman-yang-tidak-ada/"))


SCENARIOS = [
    ("invalid_login", "registrasi", s_invalid_login),
    ("login_locked", "registrasi", s_login_locked),
    ("rate_limited", "lainnya", s_rate_limited),
    ("upload_too_large", "lainnya", s_upload_too_large),
    ("email_link_expired", "registrasi", s_email_link_expired),
    ("email_link_invalid", "registrasi", s_email_link_invalid),
    ("reset_link_invalid", "lainnya", s_reset_link_invalid),
    ("nik_taken", "registrasi", s_nik_taken),
    ("nik_blacklisted", "registrasi", s_nik_blacklisted),
    ("family_card_limit", "registrasi", s_family_card_limit),
    ("nik_province", "registrasi", s_nik_province),
    ("nik_district_mismatch", "registrasi", s_nik_district_mismatch),
    ("nik_birth_date_mismatch", "registrasi", s_nik_birth_date_mismatch),
    ("nik_gender_mismatch", "registrasi", s_nik_gender_mismatch),
    ("too_young", "registrasi", s_too_young),
    ("phone_taken", "registrasi", s_phone_taken),
    ("phone_invalid", "registrasi", s_phone_invalid),
    ("sms_failed", "registrasi", s_sms_failed),
    ("too_many_otp_requests", "registrasi", s_phone_too_many_otp_requests),
    ("otp_invalid", "registrasi", s_phone_otp_invalid),
    ("otp_locked", "registrasi", s_phone_otp_locked),
    ("otp_expired", "registrasi", s_phone_otp_expired),
    ("declarations_locked", "registrasi", s_declarations_locked),
    ("test_retry_later", "registrasi", s_test_retry_later),
    ("test_failed", "registrasi", s_test_failed),
    ("test_late", "registrasi", s_test_late),
    ("question_bank_too_small", "registrasi", s_question_bank_too_small),
    ("wave_not_open", "registrasi", s_wave_not_open),
    ("profile_incomplete", "registrasi", s_profile_incomplete),
    ("blacklisted", "registrasi", s_join_blacklisted),
    ("already_participant", "registrasi", s_join_already_participant),
    ("already_joined", "registrasi", s_already_joined),
    ("already_waiting", "registrasi", s_already_waiting),
    *[(reason, "registrasi", _selection(reason)) for reason in Application.Reason.values],
    ("not_selected", "lainnya", s_orientation_not_selected),
    ("video_out_of_order", "lainnya", s_video_out_of_order),
    ("card_revoked", "pembelian", _purchase("revoked")),
    ("card_frozen", "pembelian", _purchase("frozen")),
    ("balance_expired", "pembelian", _purchase("expired")),
    ("card_not_active", "pembelian", s_card_not_active),
    ("not_yet_selected", "pembelian", s_not_yet_selected),
    ("program_finished", "pembelian", _purchase("finished")),
    ("first_training_not_completed", "pembelian", s_first_training_not_completed),
    ("training_not_completed", "pembelian", s_training_not_completed),
    ("survey_not_open", "insentif", s_survey_not_open),
    ("wrong_password", "insentif", s_wrong_password),
    ("payout_password_locked", "insentif", s_payout_password_locked),
    ("payout_account_revoked", "insentif", _account_page("revoked")),
    ("payout_account_frozen", "insentif", _account_page("frozen")),
    ("invalid_account_number", "insentif", s_invalid_account_number),
    ("ewallet_not_own_phone", "insentif", s_ewallet_not_own_phone),
    ("too_many_otp_requests", "insentif", s_payout_too_many_otp_requests),
    ("otp_invalid", "insentif", s_payout_otp_invalid),
    ("otp_locked", "insentif", s_payout_otp_locked),
    ("otp_expired", "insentif", s_payout_otp_expired),
    ("account_closed", "insentif", _payout("01")),
    ("name_mismatch", "insentif", _payout("02")),
    ("ewallet_not_premium", "insentif", _payout("03")),
    ("account_not_found", "insentif", _payout("04")),
    ("complaint_rate_limited", "lainnya", s_complaint_rate_limited),
    ("tracking_link_invalid", "lainnya", s_tracking_link_invalid),
    ("not_found", "lainnya", s_not_found),
    ("csrf_failed", "lainnya", s_csrf_failed),
]


def _call(scenario, request):
    names = scenario.__code__.co_varnames[: scenario.__code__.co_argcount]
    return scenario(*(request.getfixturevalue(name) for name in names))


@pytest.mark.parametrize(
    ("code", "area", "scenario"),
    SCENARIOS,
    ids=[
        f"{'seleksi' if getattr(s, 'selection', False) else area}:{code}"
        for code, area, s in SCENARIOS
    ],
)
def test_every_refusal_says_what_to_do_next_and_where_to_complain(code, area, scenario, request):
    body = scenario_body = _call(scenario, request)
    # The refusal is shown as such: a refusal box naming its code, the dashboard's selection
    # explanation, or the orientation player's JSON answer.
    if scenario_body.startswith("{"):
        error = json.loads(scenario_body)["error"]
        assert error["code"] == code
        assert error.get("next_step"), f"{code}: the JSON refusal has no next step"
        body = html.escape(error["next_step"])
    elif getattr(scenario, "selection", False):
        assert 'id="langkah-seleksi"' in body, f"{code}: no next step for the selection reason"
    else:
        assert f'data-kode="{code}"' in body, f"{code}: the page shows no next step"

    from participants import refusals

    expected = refusals.resolve(code, area=area)
    assert code in refusals.NEXT_STEPS, f"{code} has no entry of its own"
    # The next step as the table writes it; its values (a time, a wait) come from the refusal.
    for fragment in re.split(r"%\(\w+\)s", str(refusals.NEXT_STEPS[code].text)):
        assert html.escape(fragment.strip()) in body, f"{code}: next step missing"
    assert "%(" not in body
    if expected.complaint_url and not scenario_body.startswith("{"):
        assert html.escape(expected.complaint_url) in body, f"{code}: complaint link missing"
    if expected.action_url and not scenario_body.startswith("{"):
        assert expected.action_url in body


# --- every refusal code the participant-facing services can raise has an entry ---------------

PARTICIPANT_FACING = [
    "participants/registration/steps.py",
    "participants/registration/nik.py",
    "participants/otp.py",
    "participants/registration/basic_test.py",
    "participants/waves/joining.py",
    "participants/waves/schedule.py",
    "participants/cards/orientation.py",
    "participants/services/errors.py",
    "trainings/services/errors.py",
    "incentives/services/errors.py",
]
PARTNER_ONLY = "partner API only: the platform shows the message on its own pages"
# Raised there, but never shown to a participant in the browser, and why.
NOT_MET_IN_THE_BROWSER = {
    "domain_error": "the base class",
    "registration_refused": "the base class of registration's errors",
    "basic_test_refused": "the base class of the basic test's errors",
    "join_refused": "the base class of join_wave's errors",
    "orientation_refused": "the base class of orientation's errors",
    "nik_invalid": "the base class of the NIK checks",
    "email_taken": "registration answers the same for a taken email (it emails the owner)",
    "already_blacklisted": "staff only (adding a blacklist entry twice)",
    "reason_required": "staff only (actions need a reason)",
    "participant_reason_required": "staff only (a card decision needs words for the person)",
    "invalid_wave_times": "staff only (the wave forms)",
    "wave_window_past": "staff only (the wave forms)",
    "checker_is_maker": "staff only (four-eyes payout batches)",
    **dict.fromkeys(
        [
            "card_not_found",
            "offering_not_found",
            "duplicate_partner_order",
            "payment_not_found",
            "payment_not_pending",
            "voucher_not_found",
            "voucher_already_redeemed",
            "voucher_wrong_provider",
            "voucher_not_redeemed",
            "voucher_already_completed",
            "pretest_missing",
            "idempotency_key_reused",
        ],
        PARTNER_ONLY,
    ),
}


def _codes_in(path: Path) -> set[str]:
    """The codes of the errors a module defines (``code = "..."`` in a class) and raises
    (``SomeError(..., code="...")`` of those classes)."""
    tree = ast.parse(path.read_text())
    codes, errors = set(), {"DomainError"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and [getattr(t, "id", "") for t in statement.targets] == ["code"]
                    and isinstance(statement.value, ast.Constant)
                ):
                    codes.add(statement.value.value)
                    errors.add(node.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in errors:
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    codes.add(keyword.value.value)
    return codes


def test_every_refusal_code_a_participant_can_meet_has_a_next_step():
    from incentives.models import ACCOUNT_REASONS
    from participants import refusals

    raised = set().union(*(_codes_in(ROOT / path) for path in PARTICIPANT_FACING))
    raised |= set(Application.Reason.values) | set(ACCOUNT_REASONS)
    assert {"nik_taken", "wave_not_open", "otp_locked", "survey_not_open"} <= raised  # not vacuous
    missing = sorted(raised - set(refusals.NEXT_STEPS) - set(NOT_MET_IN_THE_BROWSER))
    assert missing == [], f"refusals without a next step: {missing}"


def test_every_mapped_complaint_category_is_one_the_form_offers():
    from complaints.forms import is_topic
    from participants import refusals

    for code, step in refusals.NEXT_STEPS.items():
        topics = refusals.AREA_TOPICS.values() if step.topic == refusals.AREA else [step.topic]
        for topic in topics:
            assert not topic or is_topic(topic), (code, topic)
        assert step.text.strip(), code
