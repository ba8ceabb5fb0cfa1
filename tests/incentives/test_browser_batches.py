"""Four eyes on money, in Chromium: the job makes a batch over the threshold; staff A (the demo
superuser) submits it and cannot approve it; staff B (an officer with exactly the documented
permissions) approves; the batch is sent at once, not by the nightly run, and every installment is
paid once. Neither browser logs a console error (the batch page obeys the Content Security
Policy)."""

import re

import pytest
from playwright.sync_api import expect

from incentives import services
from incentives.models import DisbursementBatch
from participants.models import User
from tests.factories import DEFAULT_PASSWORD
from tests.incentives.helpers import eligible_participant, fake_paid, first_installment
from tests.incentives.test_batches import make_officer
from tests.staff import staff_totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


CONSOLE_ERRORS: list[str] = []


def _login(browser, live_server, email, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.on("console", lambda m: CONSOLE_ERRORS.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: CONSOLE_ERRORS.append(str(exc)))
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile("[Ss]andi")).fill(password)
    page.fill("#id_otp_token", staff_totp_token(User.objects.get(email=email)))
    page.get_by_role("button", name=re.compile("Masuk|Log in")).click()
    return context, page


def test_four_eyes_in_the_browser(browser, live_server, settings):
    from django.utils import timezone

    from participants import demo
    from participants.models import User

    settings.PAYOUT_APPROVAL_THRESHOLD_IDR = 1_000_000
    CONSOLE_ERRORS.clear()
    now = timezone.now()
    participants = [eligible_participant(now=now, validated=True) for _ in range(2)]
    batch = DisbursementBatch.objects.get(pk=services.run_disbursement(now=now).batch_id)
    assert batch.status == "awaiting_submission"
    User.objects.create_superuser(
        email=demo.STAFF_EMAIL, password=demo.DEMO_PASSWORD, full_name="Staf Prakerja"
    )
    officer = make_officer("petugas.bayar@prakerja.local")
    url = f"{live_server.url}/admin/incentives/disbursementbatch/{batch.pk}/change/"

    context_a, a = _login(browser, live_server, demo.STAFF_EMAIL, demo.DEMO_PASSWORD)
    a.goto(url)
    expect(a.locator("#batch-approve")).to_have_count(0)
    a.locator("#batch-submit").click()
    expect(a.locator("#four-eyes-missing")).to_contain_text("Anda yang mengajukan batch ini")
    expect(a.locator("#batch-approve")).to_have_count(0)
    a.screenshot(path="test-artifacts/screenshots/batch_submitted_by_a.png", full_page=True)
    context_a.close()
    batch.refresh_from_db()
    assert batch.status == "pending_approval"

    context_b, b = _login(browser, live_server, officer.email, DEFAULT_PASSWORD)
    b.goto(url)
    b.locator("#batch-approve").click()
    expect(b.locator(".field-status")).to_contain_text("Selesai")
    expect(b.locator(".field-progress")).to_contain_text("2/2 (100%)")
    b.screenshot(path="test-artifacts/screenshots/batch_approved_by_b.png", full_page=True)
    context_b.close()

    batch.refresh_from_db()
    assert (batch.status, batch.submitted_by.email, batch.approved_by) == (
        "done",
        demo.STAFF_EMAIL,
        officer,
    )
    assert all(first_installment(p).status == "paid" for p in participants)
    assert all(fake_paid(first_installment(p)) == 1 for p in participants)
    assert not CONSOLE_ERRORS, CONSOLE_ERRORS
