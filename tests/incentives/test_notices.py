"""Participants hear what happens to their money (SMS and email, once, with the reason,
the fix and a PORTAL_URL link), and the schedule appears when the review completes the
conditions, not only after the nightly job."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from incentives import services
from incentives.models import Installment
from tests.factories import make_active_participant
from tests.incentives.helpers import complete_first_training, eligible_participant, give_account
from trainings.services import vouchers

PORTAL = "https://prakerja.example.id"


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_URL = PORTAL


@pytest.mark.django_db
def test_a_failed_payout_sends_the_reason_the_fix_and_a_link_once(
    sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567801", validated=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_disbursement(now=now)
    assert [m.to for m in sms_outbox] == [participant.phone]
    text = sms_outbox[0].text
    assert "GAGAL" in text
    assert "Rekening/E-Wallet telah ditutup" in text
    assert f"{PORTAL}/insentif/rekening/" in text
    assert len(mail.outbox) == 1
    assert "gagal dibayar" in mail.outbox[0].subject
    assert f"{PORTAL}/insentif/rekening/" in mail.outbox[0].body
    # A later run, or the same notice task again, does not repeat it.
    with django_capture_on_commit_callbacks(execute=True):
        services.run_disbursement(now=now + dt.timedelta(hours=1))
    from incentives import notifications

    first = Installment.objects.get(participant=participant, number=1)
    assert notifications.send_payout_notices(installment_ids=[first.pk])["sms"] == 0
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_a_paid_installment_is_announced_with_a_link_to_the_history(
    sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    eligible_participant(now=now, validated=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_disbursement(now=now)
    assert len(sms_outbox) == 1
    assert "telah dibayar" in sms_outbox[0].text
    assert "Rp600.000" in sms_outbox[0].text
    assert f"{PORTAL}/insentif/" in sms_outbox[0].text
    assert "telah dibayar" in mail.outbox[0].subject


@pytest.mark.django_db
def test_a_gateway_failure_tells_the_participant_nothing_is_needed(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.PAYOUT_MAX_TEMPORARY_FAILURES = 1
    now = timezone.now()
    eligible_participant(now=now, number="1234567805", validated=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_disbursement(now=now)
    assert "tidak perlu melakukan apa-apa" in sms_outbox[0].text
    assert "/insentif/rekening/" not in sms_outbox[0].text


@pytest.mark.django_db
def test_the_schedule_appears_when_the_review_completes_the_conditions(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    participant = make_active_participant(now=now)
    give_account(participant, now=now)
    voucher = complete_first_training(participant, now=now, reviewed=False)
    assert not Installment.objects.filter(participant=participant).exists()
    with django_capture_on_commit_callbacks(execute=True):
        vouchers.submit_review(voucher=voucher, rating=5, review="Bagus sekali.", now=now)
    assert Installment.objects.filter(participant=participant, kind="monthly").count() == 4


def test_trainings_does_not_import_incentives():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "trainings"
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("incentives"), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("incentives") for a in node.names), path
