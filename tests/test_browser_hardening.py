"""Browser hardening: a Content-Security-Policy without inline script on
every page, and ``Cache-Control: private, no-store`` on personal pages."""

import re

import pytest
from django.urls import reverse

from complaints import notifications, services
from participants.registration.areas import load_areas
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {
        part.strip().split(" ", 1)[0]: part.strip() for part in header.split(";") if part.strip()
    }


@pytest.mark.parametrize("url", ["/", "/masuk/", "/daftar/", "/pengaduan/", "/admin/login/"])
def test_every_page_has_a_content_security_policy_without_inline_script(client, url):
    policy = csp(client.get(url))
    assert "default-src" in policy, policy
    script = policy.get("script-src", policy["default-src"])
    assert "'self'" in script
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "frame-ancestors" in policy and "'none'" in policy["frame-ancestors"]
    assert "object-src" in policy and "'none'" in policy["object-src"]


def test_no_template_has_an_inline_script(client):
    load_areas(provinces=["32"])
    participant = ParticipantFactory(identity_verified_at=None)
    client.force_login(participant.user)
    body = client.get(reverse("identity")).content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not inline, inline


def no_store(response) -> bool:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_participant_pages_are_private_and_not_stored(client):
    participant = ParticipantFactory()
    client.force_login(participant.user)
    for url in ("/dasbor/", "/pengaduan/saya/", reverse("identity")):
        response = client.get(url)
        assert no_store(response), (url, response.headers.get("Cache-Control"))


def test_complaint_pages_are_private_and_not_stored(client):
    owner = ParticipantFactory()
    complaint = services.submit_complaint(
        name="A",
        phone="+6281211112222",
        email=owner.user.email,
        category="registrasi",
        subcategory="nik_sudah_terdaftar",
        description="NIK saya dinyatakan sudah terdaftar padahal belum pernah daftar.",
        user=owner.user,
    )
    track = reverse("complaints:track", kwargs={"token": notifications.tracking_token(complaint)})
    assert no_store(client.get(track))
    client.force_login(owner.user)
    assert no_store(client.get(f"/pengaduan/tiket/{complaint.ticket_number}/"))


def test_admin_pages_are_private_and_not_stored(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert no_store(client.get("/admin/"))
    assert no_store(client.get("/admin/participants/participant/"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_and_the_portal_work_under_the_policy_without_console_errors(page, live_server):
    """Chromium reports every CSP violation as a console error; the ``page`` fixture fails the
    test on any."""
    from tests.factories import DEFAULT_PASSWORD
    from tests.staff import staff_totp_token

    participant = ParticipantFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    for url in ("/", "/masuk/", "/daftar/", "/pengaduan/"):
        page.goto(live_server.url + url)
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.fill("#id_otp_token", staff_totp_token(staff))
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    for url in (
        "/admin/participants/participant/",
        f"/admin/participants/participant/{participant.pk}/change/",
        "/admin/participants/wave/add/",
        "/admin/laporan/",
    ):
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        assert "private" in response.headers["cache-control"]
        assert "script-src 'self'" in response.headers["content-security-policy"]


def test_every_inline_style_left_is_allowed_by_its_hash(settings):
    """Only the self-contained 500 page and waiting room keep an inline style; the policy
    allows exactly those blocks (a changed block changes its hash at start-up)."""
    import base64
    import hashlib
    from pathlib import Path

    allowed = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    assert "'unsafe-inline'" not in allowed
    for name in ("500.html", "ruang_tunggu.html"):
        text = (Path(settings.BASE_DIR) / "templates" / name).read_text()
        for block in re.findall(r"<style>(.*?)</style>", text, re.S):
            digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in allowed
