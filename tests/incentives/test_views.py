"""Participant pages: "Riwayat Insentif", account change with password and OTP, surveys."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from incentives import services
from incentives.models import Installment, PayoutAccount, SurveyResponse
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.incentives.helpers import eligible_participant


@pytest.mark.django_db
def test_history_needs_a_login(client):
    response = client.get(reverse("incentives:history"))
    assert response.status_code == 302
    assert "/masuk/" in response["Location"]


@pytest.mark.django_db
def test_history_is_404_for_an_account_without_participant(client):
    client.force_login(UserFactory())
    assert client.get(reverse("incentives:history")).status_code == 404


@pytest.mark.django_db
def test_history_shows_every_installment_with_status_and_failure_reason(
    client, django_assert_max_num_queries
):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567803", validated=True)
    services.run_disbursement(now=now)
    client.force_login(participant.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("incentives:history"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Riwayat Insentif" in html
    assert "Akun e-wallet belum premium" in html
    assert html.count("Rp600.000") + html.count("Rp600,000") == 4
    assert "Terjadwal" in html and "Gagal" in html
    assert "Perbarui rekening" in html
    assert reverse("incentives:account_change") in html


@pytest.mark.django_db
def test_changing_the_account_through_the_pages_needs_password_and_otp(client, sms_outbox):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567801", validated=True)
    services.run_disbursement(now=now)
    client.force_login(participant.user)
    url = reverse("incentives:account_change")
    form = {
        "kind": "bni",
        "number": "1234567890",
        "holder_name": participant.user.full_name,
        "password": "salah-sekali",
    }
    response = client.post(url, form)
    assert response.status_code == 200
    assert "Kata sandi salah." in response.content.decode()
    assert sms_outbox == []

    response = client.post(url, {**form, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    code = sms_outbox[-1].text.split(": ")[1][:6]
    response = client.post(response["Location"], {"code": "12345"})
    assert "6 digit" in response.content.decode()
    response = client.post(response.request["PATH_INFO"], {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("incentives:history")
    account = PayoutAccount.objects.get(participant=participant)
    assert (account.number, account.validated_at) == ("1234567890", None)
    assert Installment.objects.get(participant=participant, number=1).status == "scheduled"


@pytest.mark.django_db
def test_someone_elses_pending_change_is_404(client, sms_outbox):
    now = timezone.now()
    owner = eligible_participant(now=now)
    change = services.request_payout_account_change(
        participant=owner,
        password=DEFAULT_PASSWORD,
        kind="bni",
        number="1234567890",
        holder_name=owner.user.full_name,
    )
    other = eligible_participant(now=now)
    client.force_login(other.user)
    url = reverse("incentives:account_confirm", kwargs={"change_id": change.pk})
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_survey_is_answered_on_its_page_once_open(client):
    now = timezone.now()
    participant = eligible_participant(now=now - dt.timedelta(days=31))
    services.run_disbursement(now=now - dt.timedelta(days=31))
    client.force_login(participant.user)
    url = reverse("incentives:survey", kwargs={"number": 1})
    page = client.get(url)
    assert page.status_code == 200
    survey = page.context["survey"]
    answers = {}
    for q in survey.questions.all():
        answers[f"q{q.pk}"] = q.choice_list[0] if q.choice_list else "Menjual daring"
    response = client.post(url, answers)
    assert response.status_code == 302
    assert SurveyResponse.objects.filter(participant=participant, survey=survey).exists()
    assert Installment.objects.filter(participant=participant, kind="survey", number=1).exists()
    # Survey 2 is open now, survey 3 is not.
    response = client.post(reverse("incentives:survey", kwargs={"number": 3}), answers)
    assert not Installment.objects.filter(participant=participant, kind="survey", number=3).exists()
