"""Done when: scraping ``/metrics`` over real HTTP before and after a purchase (partner API over
HTTP), a failed payout and a sweep shows the right counters move; an anonymous scrape is
refused."""

import io

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from incentives.models import Installment
from participants.models import Participant
from tests.factories import PlatformFactory, make_active_participant
from tests.incentives.helpers import eligible_participant
from tests.monitoring.scrape import TOKEN, referenced_metric_names, scrape, value
from tests.trainings.partner import PartnerClient, last_otp, make_offering
from tests.trainings.sweep_helpers import participant_in, wave_21
from trainings import services

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_purchase_a_failed_payout_and_a_sweep_move_their_counters(live_server, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.ADMISSION_CAPACITY = 1000  # the waiting room on, with room for everyone
    assert requests.get(live_server.url + "/metrics", timeout=10).status_code == 401
    wrong = requests.get(
        live_server.url + "/metrics", headers={"Authorization": "Bearer salah"}, timeout=10
    )
    assert wrong.status_code == 401

    platform = PlatformFactory(code="tokoku", name="Tokoku")
    key, secret = services.issue_partner_key(platform=platform)
    partner = PartnerClient(live_server.url, key, secret)
    offering = make_offering(platform=platform)
    card = make_active_participant()
    wave = wave_21()
    late = [participant_in(wave) for _ in range(3)]
    closed = eligible_participant(now=timezone.now(), number="1234567801", validated=True)

    before = scrape(live_server.url)

    started = partner.post(
        "/payments",
        {
            "card_number": card.card_number,
            "offering_code": offering.code,
            "partner_order_id": "ORD-METRIK-1",
        },
    )
    assert started.status_code == 201, started.text
    payment_id = started.json()["payment_id"]
    wrong_otp = "000000" if last_otp(card.phone) != "000000" else "111111"
    assert partner.post(f"/payments/{payment_id}/confirm", {"otp": wrong_otp}).status_code == 400
    confirmed = partner.post(f"/payments/{payment_id}/confirm", {"otp": last_otp(card.phone)})
    assert confirmed.status_code == 200, confirmed.text

    call_command("disburse_incentives", stdout=io.StringIO())
    failed = Installment.objects.get(participant=closed, number=1, kind="monthly")
    assert (failed.status, failed.reason_code) == ("failed", "account_closed")

    call_command("sweep_deadlines", "--now", "2021-10-22T00:05", stdout=io.StringIO())
    assert Participant.objects.filter(pk__in=[p.pk for p in late], status="revoked").count() == 3

    after = scrape(live_server.url)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # The purchase, as the platform sent it over HTTP.
    partner_call = "prakerja_partner_api_requests_total"
    assert (
        moved(partner_call, platform="tokoku", operation="create_payment", status=201, code="ok")
        == 1
    )
    assert (
        moved(
            partner_call,
            platform="tokoku",
            operation="confirm_payment",
            status=400,
            code="otp_invalid",
        )
        == 1
    )
    assert (
        moved(partner_call, platform="tokoku", operation="confirm_payment", status=200, code="ok")
        == 1
    )
    requests_total = "prakerja_http_requests_total"
    assert moved(requests_total, view="partner_v1:confirm_payment", method="POST", status=200) == 1
    otp = "prakerja_otp_events_total"
    assert moved(otp, purpose="payment", event="sent") == 1
    assert moved(otp, purpose="payment", event="failed") == 1
    assert moved(otp, purpose="payment", event="verified") == 1

    # The failed payout: counted by reason for the deployment, and in the job's last run.
    payouts = "prakerja_payouts_total"
    assert moved(payouts, outcome="failed", reason="account_closed") == 1
    disburse = {"job_name": "incentives-disburse"}
    assert value(after, "prakerja_job_last_count", **disburse, count="failed_account_closed") == 1
    assert moved("prakerja_job_runs_total", **disburse, outcome="ok") == 1
    notices = {"task": "incentives.tasks.notify_payouts"}
    assert moved("prakerja_celery_tasks_total", **notices, outcome="success") == 1
    assert moved("prakerja_celery_task_duration_seconds_count", **notices) == 1

    # The sweep: its run, its revocations, its notices.
    sweep = {"job_name": "sweep-deadlines"}
    assert moved("prakerja_job_runs_total", **sweep, outcome="ok") == 1
    assert value(after, "prakerja_job_last_count", **sweep, count="revoked") == 3
    assert value(after, "prakerja_job_last_failed", **sweep) == 0
    assert value(after, "prakerja_job_last_success_timestamp_seconds", **sweep) > value(
        before, "prakerja_job_last_success_timestamp_seconds", **sweep
    )
    revocation_notices = {"task": "trainings.tasks.notify_revoked_task", "outcome": "success"}
    assert moved("prakerja_celery_tasks_total", **revocation_notices) >= 1

    assert value(after, "prakerja_metrics_source_up", source="database") == 1
    assert value(after, "prakerja_metrics_source_up", source="redis") == 1

    # Every series the shipped alert rules and dashboard name is in this real scrape.
    scraped = {name for name, _labels in after}
    assert referenced_metric_names() - scraped == set()
