"""The identity step cannot be used to test other people's NIKs (docs/privacy.md, "Identity
attempts"): a few submissions an hour per account and per address, every refusal in the person's
decision history; the answer still tells a person their NIK is taken and opens the complaint form
with the category "NIK sudah terdaftar"."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from participants import refusals
from participants.models import ParticipantEvent
from participants.registration import steps
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, make_nik

from .conftest import BIRTH
from .test_registration import _identity_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_IDENTITY = "3/h"
    settings.RATELIMIT_IDENTITY_ADDRESS = "5/h"
    # A fresh client address per test so counters in the shared cache never collide.
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def account(email: str):
    user = steps.register_user(full_name="Penguji", email=email, password=DEFAULT_PASSWORD)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


def submit(client, serial: int, address: str):
    nik = make_nik(birth_date=BIRTH, serial=serial)
    return client.post(reverse("identity"), _identity_post(nik=nik), REMOTE_ADDR=address)


@pytest.fixture
def taken(areas):
    """NIKs with serials 100-109 belong to other people."""
    for serial in range(100, 110):
        ParticipantFactory(nik=make_nik(birth_date=BIRTH, serial=serial))


def test_a_taken_nik_is_still_named_and_opens_the_complaint_form(client, areas, taken, limits):
    user = account(f"{uuid.uuid4().hex[:8]}@contoh.id")
    client.force_login(user)
    page = submit(client, 100, limits)
    body = page.content.decode()
    assert page.status_code == 200
    assert "NIK sudah terdaftar." in body
    assert refusals.complaint_url("registrasi:nik_sudah_terdaftar") in body
    (event,) = ParticipantEvent.objects.filter(
        participant=user.participant, reason_code__startswith="identity_"
    )
    assert (event.reason_code, event.field, event.actor) == ("identity_refused", "nik", user)
    assert event.note.splitlines()[0] == "nik_taken"
    assert user.participant.nik_masked == ""


def test_an_account_gets_a_few_identity_attempts_an_hour(client, areas, taken, limits):
    user = account(f"{uuid.uuid4().hex[:8]}@contoh.id")
    client.force_login(user)
    answers = [submit(client, serial, limits) for serial in (100, 101, 102, 103, 104)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    for answer in answers[3:]:
        body = answer.content.decode()
        assert "NIK sudah terdaftar" not in body
        assert "Terlalu banyak percobaan" in body
    codes = list(
        ParticipantEvent.objects.filter(
            participant=user.participant, reason_code__startswith="identity_"
        )
        .order_by("id")
        .values_list("reason_code", flat=True)
    )
    assert codes == ["identity_refused"] * 3 + ["identity_rate_limited"] * 2


def test_an_address_gets_a_few_identity_attempts_an_hour_whatever_the_account(
    client, areas, taken, limits
):
    statuses = []
    for n in range(3):
        client.force_login(account(f"{uuid.uuid4().hex[:8]}-{n}@contoh.id"))
        statuses += [submit(client, 100 + 2 * n + i, limits).status_code for i in range(2)]
    assert statuses == [200, 200, 200, 200, 200, 429]
    # Another address is not held back by this one.
    client.force_login(account(f"{uuid.uuid4().hex[:8]}-x@contoh.id"))
    assert submit(client, 109, "192.0.2.77").status_code == 200


def test_a_form_with_errors_does_not_count(client, areas, limits):
    user = account(f"{uuid.uuid4().hex[:8]}@contoh.id")
    client.force_login(user)
    for _ in range(5):
        page = client.post(reverse("identity"), {"nik": "12"}, REMOTE_ADDR=limits)
        assert page.status_code == 200
    assert submit(client, 77, limits).status_code == 302
