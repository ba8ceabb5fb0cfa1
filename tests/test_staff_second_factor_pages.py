"""The staff second factor's own pages (README "Security"): a TOTP device's QR code page works (an
authenticator app reads it; the secret beside it logs in), a staff member generates recovery
codes on a page that shows them once, and these pages and the login page speak Indonesian; in
Chromium none of them logs a console error under the Content-Security-Policy."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from participants.staff_otp import ensure_totp_device
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.staff import staff_totp_token
from tests.test_staff_accounts import address, rfc6238

# English that django-otp and django-axes bring with them (labels, buttons, fieldsets).
ENGLISH = re.compile(
    r"\b(OTP Token|OTP Device|Log in|Forgotten your password|Get OTP Challenge|Identity|"
    r"Timestamps|Configuration|Throttling|Confirmed|Created at|Last used|TOTP devices?|"
    r"Static devices?|QR Code|qrcode|Otp_Totp|Otp_Static|The user that|Digits|Tolerance|Drift|"
    r"Key|Step|Name|Token|User|Axes|Access attempts?|Access logs?|Access failures?|"
    r"IP Address|Username|User Agent|Path|Failed logins|Attempt time)\b"
)


def visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def boss(db):
    user = UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    ensure_totp_device(user=user)
    return user


@pytest.fixture
def newcomer(db):
    return UserFactory(is_staff=True, email="baru@prakerja.local")


# --- without a browser ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_qr_code_is_an_svg_image_of_the_devices_otpauth_url(client, boss, newcomer):
    from xml.etree import ElementTree

    device = TOTPDevice.objects.create(user=newcomer, name="authenticator", confirmed=True)
    client.force_login(boss)
    image = client.get(reverse("admin:participants_staffauthenticator_qr_image", args=[device.pk]))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/svg+xml"
    assert "no-store" in image["Cache-Control"]
    root = ElementTree.fromstring(image.content)  # noqa: S314 - our own SVG
    assert root.tag.endswith("svg")
    assert root.iter("{http://www.w3.org/2000/svg}path") is not None
    assert b"<script" not in image.content
    assert "issuer=Prakerja" in device.config_url


@pytest.mark.django_db
def test_the_qr_page_needs_the_change_permission(client, newcomer):
    device = TOTPDevice.objects.create(user=newcomer, name="authenticator", confirmed=True)
    viewer = UserFactory(is_staff=True, email="lihat@prakerja.local")
    client.force_login(viewer)
    for name in ("participants_staffauthenticator_qr", "participants_staffauthenticator_qr_image"):
        assert client.get(reverse(f"admin:{name}", args=[device.pk])).status_code == 403


@pytest.mark.django_db
def test_the_login_page_and_the_second_factor_pages_speak_indonesian(client, boss, newcomer):
    login = visible_text(client.get("/admin/login/").content.decode())
    assert "Kode autentikator" in login
    assert not ENGLISH.findall(login), ENGLISH.findall(login)
    wrong = client.post(
        "/admin/login/?next=/admin/",
        {"username": boss.email, "password": DEFAULT_PASSWORD, "otp_token": "000000"},
        REMOTE_ADDR=address(),
    )
    text = visible_text(wrong.content.decode())
    assert not ENGLISH.findall(text), ENGLISH.findall(text)
    device = TOTPDevice.objects.create(user=newcomer, name="authenticator", confirmed=True)
    client.force_login(boss)
    pages = [
        reverse("admin:index"),
        reverse("admin:participants_staffauthenticator_changelist"),
        reverse("admin:participants_staffauthenticator_add"),
        reverse("admin:participants_staffauthenticator_change", args=[device.pk]),
        reverse("admin:participants_staffauthenticator_qr", args=[device.pk]),
        reverse("admin:participants_staffrecoverycodes_changelist"),
        reverse("admin:staff_recovery_codes"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:axes_accesslog_changelist"),
        reverse("admin:axes_accessfailurelog_changelist"),
    ]
    english = {}
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        found = ENGLISH.findall(visible_text(page.content.decode()))
        if found:
            english[url] = sorted(set(found))
    assert not english, english


@pytest.fixture
def officer(db):
    from django.contrib.auth.models import Permission

    from participants.admin.people import PARTICIPANT_OFFICER_PERMISSIONS

    user = UserFactory(is_staff=True, email="petugas@prakerja.local")
    codenames = [name.split(".")[1] for name in PARTICIPANT_OFFICER_PERMISSIONS]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    ensure_totp_device(user=user)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["boss", "officer"])
def test_recovery_codes_are_shown_once_and_each_logs_in_once(client, request, who):
    boss = request.getfixturevalue(who)
    client.force_login(boss)
    url = reverse("admin:staff_recovery_codes")
    assert "Buat kode pemulihan baru" in client.get(url).content.decode()
    made = client.post(url)
    assert "no-store" in made["Cache-Control"]
    codes = re.findall(r'<li class="recovery-code">([a-z0-9]+)</li>', made.content.decode())
    assert len(codes) == 10
    again = client.get(url).content.decode()
    assert not any(code in again for code in codes)
    assert "10 kode pemulihan belum dipakai" in again
    client.logout()
    login = {"username": boss.email, "password": DEFAULT_PASSWORD, "next": "/admin/"}
    ip = address()
    assert (
        client.post("/admin/login/", {**login, "otp_token": codes[0]}, REMOTE_ADDR=ip).status_code
        == 302
    )
    client.logout()
    assert (
        client.post("/admin/login/", {**login, "otp_token": codes[0]}, REMOTE_ADDR=ip).status_code
        == 200
    )
    # A new set replaces the old one.
    client.force_login(boss)
    client.post(url)
    assert StaticDevice.objects.get(user=boss).token_set.filter(token=codes[1]).count() == 0


# --- in Chromium ----------------------------------------------------------------------------------


def _admin_login(page, base, user, token):
    page.goto(base + "/admin/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label(re.compile("[Ss]andi")).fill(DEFAULT_PASSWORD)
    page.get_by_label(re.compile("Kode autentikator")).fill(token)
    page.get_by_role("button", name="Masuk").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_staff_member_sets_up_the_authenticator_from_the_qr_page(page, live_server):
    """The superuser gives a new staff member a device; its QR page shows the image (it loads)
    and the secret; the staff member's authenticator (here RFC 6238 written out in the test)
    turns that secret into a token that opens the admin."""
    base = live_server.url
    boss = UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    newcomer = UserFactory(is_staff=True, email="baru@prakerja.local")
    _admin_login(page, base, boss, staff_totp_token(boss))
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(base + reverse("admin:participants_staffauthenticator_add"))
    page.fill("#id_user", str(newcomer.pk))
    page.get_by_role("button", name="Simpan", exact=True).click()
    page.get_by_role("link", name="Tampilkan kode QR").click()
    image = page.locator(".totp-qr img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.totp-qr img');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=newcomer)
    assert secret == re.sub("=+$", "", __import__("base64").b32encode(device.bin_key).decode())
    page.get_by_role("button", name="Keluar").click()
    _admin_login(page, base, newcomer, rfc6238(secret))
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.locator("#site-name")).to_contain_text("Administrasi Prakerja")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_recovery_codes_page_in_the_browser(page, live_server):
    base = live_server.url
    boss = UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    _admin_login(page, base, boss, staff_totp_token(boss))
    page.wait_for_url(re.compile(r"/admin/$"))
    page.get_by_role("link", name="Kode pemulihan", exact=True).click()
    page.get_by_role("button", name="Buat kode pemulihan baru").click()
    codes = page.locator("li.recovery-code").all_inner_texts()
    assert len(codes) == 10
    page.goto(base + reverse("admin:staff_recovery_codes"))
    expect(page.locator("#content")).to_contain_text("10 kode pemulihan belum dipakai")
    expect(page.locator("li.recovery-code")).to_have_count(0)
    page.get_by_role("button", name="Keluar").click()
    _admin_login(page, base, boss, codes[3])
    page.wait_for_url(re.compile(r"/admin/$"))
