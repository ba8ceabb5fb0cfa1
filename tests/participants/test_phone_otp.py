"""Phone verification by SMS OTP: hashed, 5 minutes, 5 wrong attempts then locked, cooldown."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from participants.models import DomainError, PhoneOTP
from participants.registration import steps
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def person(areas, new_user):
    from .conftest import identity_kwargs

    return steps.submit_identity(participant=new_user.participant, **identity_kwargs())


def sent_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].text).group(1)


def refused(expected: str, fn, **kwargs):
    with pytest.raises(DomainError) as exc:
        fn(**kwargs)
    assert exc.value.code == expected, exc.value.code
    return exc.value


def test_otp_is_sent_by_sms_and_stored_only_hashed(person, sms_outbox):
    record = steps.request_phone_otp(participant=person, phone="0812-3456-7890", now=T0)
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == "+6281234567890"
    code = sent_code(sms_outbox)
    assert code not in record.otp_hash
    assert len(record.otp_hash) == 64
    assert record.otp_expires_at == T0 + dt.timedelta(minutes=5)


def test_right_code_verifies_the_phone(person, sms_outbox):
    steps.request_phone_otp(participant=person, phone="081234567890", now=T0)
    steps.verify_phone_otp(participant=person, code=sent_code(sms_outbox), now=T0)
    person.refresh_from_db()
    assert person.phone == "+6281234567890"
    assert person.phone_verified_at == T0


def test_code_expires_after_five_minutes(person, sms_outbox):
    steps.request_phone_otp(participant=person, phone="081234567890", now=T0)
    code = sent_code(sms_outbox)
    later = T0 + dt.timedelta(minutes=5, seconds=1)
    refused("otp_expired", steps.verify_phone_otp, participant=person, code=code, now=later)
    # At exactly five minutes it is still valid.
    steps.verify_phone_otp(participant=person, code=code, now=T0 + dt.timedelta(minutes=5))


def test_wrong_codes_count_down_then_lock_even_the_right_code(person, sms_outbox):
    steps.request_phone_otp(participant=person, phone="081234567890", now=T0)
    code = sent_code(sms_outbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        exc = refused("otp_invalid", steps.verify_phone_otp, participant=person, code=wrong, now=T0)
        assert exc.context["attempts_left"] == left
    assert "dikunci" in exc.message
    refused("otp_locked", steps.verify_phone_otp, participant=person, code=wrong, now=T0)
    refused("otp_locked", steps.verify_phone_otp, participant=person, code=code, now=T0)
    assert PhoneOTP.objects.get().otp_attempts == 5
    person.refresh_from_db()
    assert person.phone_verified_at is None


def test_resend_waits_for_the_cooldown(person, sms_outbox, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 60
    steps.request_phone_otp(participant=person, phone="081234567890", now=T0)
    exc = refused(
        "too_many_otp_requests",
        steps.request_phone_otp,
        participant=person,
        phone="081234567890",
        now=T0 + dt.timedelta(seconds=30),
    )
    assert exc.context["seconds_left"] == 30
    assert len(sms_outbox) == 1
    steps.request_phone_otp(
        participant=person, phone="081234567890", now=T0 + dt.timedelta(seconds=60)
    )
    assert len(sms_outbox) == 2


def test_a_new_code_replaces_a_locked_one(person, sms_outbox):
    steps.request_phone_otp(participant=person, phone="081234567890", now=T0)
    for _ in range(5):
        with pytest.raises(DomainError):
            steps.verify_phone_otp(participant=person, code="000000", now=T0)
    later = T0 + dt.timedelta(minutes=2)
    steps.request_phone_otp(participant=person, phone="081234567890", now=later)
    steps.verify_phone_otp(participant=person, code=sent_code(sms_outbox), now=later)


def test_invalid_and_taken_phone_numbers_are_refused(person):
    refused("phone_invalid", steps.request_phone_otp, participant=person, phone="12345")
    ParticipantFactory(phone="+6281299990000")
    refused("phone_taken", steps.request_phone_otp, participant=person, phone="081299990000")


def test_phone_pages_within_query_budget(client, person, sms_outbox, django_assert_max_num_queries):
    client.force_login(person.user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("phone"))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        response = client.post(reverse("phone"), {"phone": "081234567890"})
    assert response["Location"] == reverse("phone_verify")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("phone_verify"))
    assert "0812" not in response.content.decode()  # the number is masked: +62812345****
    assert len(response.content) < 50 * 1024
    with django_assert_max_num_queries(6):
        response = client.post(reverse("phone_verify"), {"code": "12345"})
    assert "6 digit" in response.content.decode()
    with django_assert_max_num_queries(14):
        response = client.post(reverse("phone_verify"), {"code": sent_code(sms_outbox)})
    assert response["Location"] == reverse("declarations")


def test_otp_page_shows_the_wrong_code_message(client, person, sms_outbox):
    client.force_login(person.user)
    client.post(reverse("phone"), {"phone": "081234567890"})
    wrong = f"{(int(sent_code(sms_outbox)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("phone_verify"), {"code": wrong})
    assert "Kode OTP salah. Sisa percobaan: 4." in response.content.decode()


def test_cooldown_with_time_machine(person, sms_outbox):
    with time_machine.travel(T0, tick=False):
        steps.request_phone_otp(participant=person, phone="081234567890")
    with (
        time_machine.travel(T0 + dt.timedelta(seconds=59), tick=False),
        pytest.raises(DomainError),
    ):
        steps.request_phone_otp(participant=person, phone="081234567890")
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        steps.request_phone_otp(participant=person, phone="081234567890")


def test_a_failed_sms_leaves_no_code_and_no_cooldown(person, settings, monkeypatch):
    from prakerja import sms

    def broken(**kwargs):
        raise sms.SmsError("gateway down")

    monkeypatch.setattr(sms, "send_sms", broken)
    refused("sms_failed", steps.request_phone_otp, participant=person, phone="081234567890")
    assert not PhoneOTP.objects.exists()
    monkeypatch.undo()
    steps.request_phone_otp(participant=person, phone="081234567890")
