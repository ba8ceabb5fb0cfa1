"""Staff pages obey the Content-Security-Policy (style only from our files, no inline style): a
complaint's screenshot is shown inside an admin page, never opened as a bare file, and the
screenshot page logs no console error in Chromium. (The batch page: tests/incentives/
test_browser_batches.py.)"""

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from playwright.sync_api import expect

from complaints.services import submit_complaint
from tests.complaints.conftest import PNG_BYTES
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.staff import staff_totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_complaint_screenshot_is_shown_in_an_admin_page_without_console_errors(
    page, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    boss = UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    complaint = submit_complaint(
        name="Ani",
        phone="+6281200000001",
        email="ani@contoh.id",
        category="insentif",
        description="Insentif belum masuk.",
        attachment=ContentFile(PNG_BYTES, name="bukti.png"),
        attachment_type="image/png",
    )
    page.goto(base + "/admin/login/")
    page.fill("#id_username", boss.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.fill("#id_otp_token", staff_totp_token(boss))
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(base + reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    page.get_by_role("link", name="Lihat", exact=True).click()
    page.wait_for_url(re.compile(r"/tangkapan-layar/$"))
    expect(page.locator(".screenshot img")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.screenshot img');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    expect(page.locator(".breadcrumbs")).to_contain_text(complaint.ticket_number)
