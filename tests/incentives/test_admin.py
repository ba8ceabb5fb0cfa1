"""Staff side: the admin pages load, filters work, and actions call the services."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from incentives import services
from incentives.models import DisbursementBatch, Installment
from tests.factories import UserFactory
from tests.incentives.helpers import eligible_participant


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "installment",
        "disbursementbatch",
        "payoutrequest",
        "payoutaccount",
        "payoutcallback",
        "reconciliationreport",
        "survey",
    ],
)
def test_admin_changelists_load(client, staff, model, django_assert_max_num_queries):
    now = timezone.now()
    eligible_participant(now=now, number="1234567801", validated=True)
    eligible_participant(now=now)
    services.run_disbursement(now=now)
    services.reconcile(day=timezone.localdate(now), now=now)
    with django_assert_max_num_queries(20):
        response = client.get(reverse(f"admin:incentives_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_installments_filter_by_status_and_reason(client, staff):
    now = timezone.now()
    eligible_participant(now=now, number="1234567801", validated=True)
    eligible_participant(now=now)
    services.run_disbursement(now=now)
    url = reverse("admin:incentives_installment_changelist")
    response = client.get(url, {"status": "failed", "reason_code": "account_closed"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


@pytest.mark.django_db
@override_settings(PAYOUT_MAX_TEMPORARY_FAILURES=1)
def test_the_retry_failed_action_schedules_again(client, staff):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567805")
    services.run_disbursement(now=now)
    failed = Installment.objects.get(participant=participant, number=1)
    assert (failed.status, failed.reason_code) == ("failed", "gateway_unavailable")
    response = client.post(
        reverse("admin:incentives_installment_changelist"),
        {"action": "retry_failed", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 cicilan dijadwalkan ulang." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "scheduled"


@pytest.mark.django_db
@override_settings(PAYOUT_APPROVAL_THRESHOLD_IDR=100_000)
def test_the_maker_cannot_approve_their_own_batch_in_the_admin(client, staff):
    now = timezone.now()
    eligible_participant(now=now)
    summary = services.run_disbursement(now=now, actor=staff)
    batch = DisbursementBatch.objects.get(pk=summary.batch_id)
    url = reverse("admin:incentives_disbursementbatch_changelist")
    response = client.post(url, {"action": "approve", "_selected_action": [batch.pk]}, follow=True)
    assert "bukan pembuatnya" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "pending_approval"
    checker = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(checker)
    client.post(url, {"action": "approve", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == ("approved", checker)
