"""One OTP challenge for its three uses: phone verification, payment confirmation and the payout
account change. For each: a wrong code is counted durably (the count survives the error response
and a restart of the server), the configured number of wrong codes locks the challenge even for
the right code, and new challenges are rate limited per person."""

import datetime as dt
import re
import uuid

import pytest
from django.db import connection, connections

from incentives import services as incentive_services
from incentives.models import PayoutAccountChange
from participants.models import DomainError, PhoneOTP
from participants.registration import steps
from tests.factories import DEFAULT_PASSWORD, make_active_participant
from tests.trainings.partner import make_offering
from trainings import services as training_services
from trainings.models import Payment

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def _last_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].text).group(1)


class PhoneUse:
    model = PhoneOTP

    def start(self, person, *, now):
        return steps.request_phone_otp(participant=person, phone=person.phone, now=now).pk

    def confirm(self, person, pk, code, *, now):
        steps.verify_phone_otp(participant=person, code=code, now=now)


class PaymentUse:
    model = Payment

    def __init__(self):
        self.offering = make_offering(price_idr=250_000)

    def start(self, person, *, now):
        return training_services.start_payment(
            platform=self.offering.platform,
            card_number=person.card_number,
            offering_code=self.offering.code,
            partner_order_id=str(uuid.uuid4()),
            now=now,
        ).pk

    def confirm(self, person, pk, code, *, now):
        training_services.confirm_payment(
            platform=self.offering.platform, payment_id=pk, otp=code, now=now
        )


class AccountUse:
    model = PayoutAccountChange

    def start(self, person, *, now):
        return incentive_services.request_payout_account_change(
            participant=person,
            password=DEFAULT_PASSWORD,
            kind="bni",
            number="1234567890",
            holder_name=person.user.full_name,
            now=now,
        ).pk

    def confirm(self, person, pk, code, *, now):
        incentive_services.confirm_payout_account_change(
            participant=person, change_id=pk, code=code, now=now
        )


USES = {"phone": PhoneUse, "payment": PaymentUse, "payout_account": AccountUse}


@pytest.fixture(params=list(USES))
def use(request, db):
    return USES[request.param]()


@pytest.fixture
def person(db):
    return make_active_participant(now=NOW)


@pytest.fixture
def sent(sms_outbox, django_capture_on_commit_callbacks):
    """Start a challenge and return ``(pk, code)``; SMS queued on commit are sent at once."""

    def _start(use, person, *, now=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            pk = use.start(person, now=now)
        return pk, _last_code(sms_outbox)

    return _start


def _refused(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*args, **kwargs)
    return exc.value


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _stored_attempts(model, pk) -> int:
    """Read the count with raw SQL on a fresh connection: what the database really holds."""
    connections.close_all()
    column = model._meta.get_field("otp_attempts").column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",
            [str(pk)],
        )
        return cursor.fetchone()[0]


def test_the_configured_number_of_wrong_codes_locks_even_the_right_code(use, person, sent):
    pk, code = sent(use, person)
    lefts = []
    for _ in range(5):
        error = _refused(use.confirm, person, pk, _wrong(code), now=NOW)
        assert error.code == "otp_invalid", error.code
        lefts.append(error.context["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    error = _refused(use.confirm, person, pk, code, now=NOW)
    assert error.code == "otp_locked"
    assert use.model.objects.get(pk=pk).otp_attempts == 5


def test_the_lock_follows_the_configured_number(use, person, sent, settings):
    settings.OTP_MAX_ATTEMPTS = 2
    pk, code = sent(use, person)
    assert _refused(use.confirm, person, pk, _wrong(code), now=NOW).context["attempts_left"] == 1
    assert _refused(use.confirm, person, pk, _wrong(code), now=NOW).context["attempts_left"] == 0
    assert _refused(use.confirm, person, pk, code, now=NOW).code == "otp_locked"


def test_an_expired_code_is_refused(use, person, sent):
    pk, code = sent(use, person)
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    assert _refused(use.confirm, person, pk, code, now=later).code == "otp_expired"


@pytest.mark.django_db(transaction=True)
def test_wrong_attempts_survive_a_server_restart(use, person, sent):
    pk, code = sent(use, person)
    for _ in range(3):
        _refused(use.confirm, person, pk, _wrong(code), now=NOW)
    assert _stored_attempts(use.model, pk) == 3
    for _ in range(2):
        _refused(use.confirm, person, pk, _wrong(code), now=NOW)
    connections.close_all()
    assert _refused(use.confirm, person, pk, code, now=NOW).code == "otp_locked"
    assert _stored_attempts(use.model, pk) == 5


def test_new_challenges_are_rate_limited_per_person(use, person, sent, settings, sms_outbox):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 60
    settings.OTP_MAX_PER_WINDOW = 3
    settings.OTP_WINDOW_SECONDS = 900
    for minute in range(3):
        sent(use, person, now=NOW + dt.timedelta(minutes=minute))
    error = _refused(use.start, person, now=NOW + dt.timedelta(minutes=3))
    assert error.code == "too_many_otp_requests"
    assert error.context["seconds_left"] == 12 * 60
    assert len(sms_outbox) == 3
    # Once the first challenge leaves the window, a new one may start.
    sent(use, person, now=NOW + dt.timedelta(minutes=15, seconds=1))
    assert len(sms_outbox) == 4


@pytest.mark.parametrize("use_name", ["phone", "payout_account"])
def test_a_resend_waits_for_the_cooldown(use_name, person, sent, settings, sms_outbox):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 60
    use = USES[use_name]()
    sent(use, person)
    error = _refused(use.start, person, now=NOW + dt.timedelta(seconds=30))
    assert (error.code, error.context["seconds_left"]) == ("too_many_otp_requests", 30)
    sent(use, person, now=NOW + dt.timedelta(seconds=60))
    assert len(sms_outbox) == 2


def test_the_window_limit_counts_each_use_apart(person, sent, settings, sms_outbox):
    """``OTP_MAX_PER_WINDOW`` is per person and per use (README, Configuration): codes asked to
    verify the phone never hold back a purchase at a platform or a payout-account change."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_MAX_PER_WINDOW = 2
    phone, payment, account = PhoneUse(), PaymentUse(), AccountUse()
    for second in range(2):
        sent(phone, person, now=NOW + dt.timedelta(seconds=second))
    assert _refused(phone.start, person, now=NOW).code == "too_many_otp_requests"
    sent(payment, person, now=NOW)
    sent(account, person, now=NOW)
    assert len(sms_outbox) == 4


def test_the_readme_says_what_the_window_limit_covers():
    """The Configuration row of the limit names what otp.py counts: each use apart."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if "`OTP_MAX_PER_WINDOW`" in line]
    assert "all uses" not in row
    assert "for each use" in row
