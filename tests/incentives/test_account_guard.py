"""The payout account is the money's destination: its password check is throttled, and a revoked
or frozen participant cannot change it (through the page or the services)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incentives import services
from incentives.models import PayoutAccount, PayoutAccountChange
from participants import services as participant_services
from participants.models import DomainError, ParticipantEvent
from tests.factories import DEFAULT_PASSWORD, make_active_participant

pytestmark = pytest.mark.django_db

URL = "/insentif/rekening/"


def form(password: str) -> dict:
    return {"kind": "bni", "number": "1234567890", "holder_name": "Rudi", "password": password}


def test_forty_wrong_passwords_then_the_right_one_is_not_accepted(client, sms_outbox):
    participant = make_active_participant(user__full_name="Rudi")
    client.force_login(participant.user)
    for n in range(40):
        client.post(URL, form(f"salah-{n}"))
    response = client.post(URL, form(DEFAULT_PASSWORD))
    assert response.status_code == 429
    body = response.content.decode()
    assert 'data-kode="payout_password_locked"' in body
    assert "Ajukan pengaduan" in body
    assert sms_outbox == []
    assert not PayoutAccountChange.objects.filter(participant=participant).exists()
    # Each wrong password is in the person's audit history.
    wrong = ParticipantEvent.objects.filter(
        participant=participant, reason_code="account_password_wrong"
    )
    assert wrong.count() == 5


def test_the_password_lock_ends_after_its_window(client, sms_outbox, settings):
    participant = make_active_participant(user__full_name="Rudi")
    now = timezone.now()
    for n in range(settings.PAYOUT_PASSWORD_MAX_FAILURES):
        with pytest.raises(DomainError):
            services.request_payout_account_change(
                participant=participant, now=now, **_service_form(f"salah-{n}")
            )
    with pytest.raises(DomainError) as locked:
        services.request_payout_account_change(
            participant=participant, now=now, **_service_form(DEFAULT_PASSWORD)
        )
    assert locked.value.code == "payout_password_locked"
    later = now + dt.timedelta(seconds=settings.PAYOUT_PASSWORD_WINDOW_SECONDS + 1)
    with time_machine.travel(later):
        change = services.request_payout_account_change(
            participant=participant, now=later, **_service_form(DEFAULT_PASSWORD)
        )
    assert change.pk


def _service_form(password: str) -> dict:
    data = form(password)
    return {
        "password": data["password"],
        "kind": "bni",
        "number": "1234567890",
        "holder_name": "Rudi",
    }


def _frozen():
    participant = make_active_participant(user__full_name="Rudi")
    participant_services.freeze_card(
        participant=participant, reason="uji", participant_reason="Diperiksa.", actor=None
    )
    participant.refresh_from_db()
    return participant


def _revoked():
    participant = make_active_participant(user__full_name="Rudi")
    participant_services.revoke_participation(
        participant=participant, reason_code="fraud", note="uji"
    )
    participant.refresh_from_db()
    return participant


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (_revoked, "payout_account_revoked", "dicabut"),
        (_frozen, "payout_account_frozen", "dibekukan"),
    ],
)
def test_a_revoked_or_frozen_participant_cannot_change_the_payout_account(
    client, sms_outbox, make, code, words
):
    participant = make()
    client.force_login(participant.user)
    page = client.get(URL)
    assert page.status_code == 200
    assert f'data-kode="{code}"' in page.content.decode()
    assert 'name="password"' not in page.content.decode()  # no form to fill in vain

    response = client.post(URL, form(DEFAULT_PASSWORD))
    body = response.content.decode()
    assert f'data-kode="{code}"' in body
    assert words in body
    assert "Ajukan pengaduan" in body
    assert sms_outbox == []
    assert not PayoutAccountChange.objects.filter(participant=participant).exists()


def test_a_change_requested_before_a_freeze_cannot_be_confirmed_after_it(sms_outbox):
    participant = make_active_participant(user__full_name="Rudi")
    change = services.request_payout_account_change(
        participant=participant, **_service_form(DEFAULT_PASSWORD)
    )
    code = sms_outbox[-1].text.split(": ")[1][:6]
    participant_services.freeze_card(
        participant=participant, reason="uji", participant_reason="Diperiksa.", actor=None
    )
    participant.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        services.confirm_payout_account_change(
            participant=participant, change_id=change.pk, code=code
        )
    assert refused.value.code == "payout_account_frozen"
    assert not PayoutAccount.objects.filter(participant=participant).exists()


def test_the_confirmation_page_refuses_for_a_revoked_participant(client, sms_outbox):
    participant = make_active_participant(user__full_name="Rudi")
    change = services.request_payout_account_change(
        participant=participant, **_service_form(DEFAULT_PASSWORD)
    )
    code = sms_outbox[-1].text.split(": ")[1][:6]
    participant_services.revoke_participation(
        participant=participant, reason_code="fraud", note="uji"
    )
    client.force_login(participant.user)
    url = reverse("incentives:account_confirm", kwargs={"change_id": change.pk})
    body = client.post(url, {"code": code}).content.decode()
    assert 'data-kode="payout_account_revoked"' in body
    assert not PayoutAccount.objects.filter(participant=participant).exists()
