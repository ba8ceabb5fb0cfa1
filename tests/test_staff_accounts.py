"""Staff accounts: a second factor (TOTP, with recovery codes) for every
staff login to /admin/, failed logins locked per account and address and limited per account
across addresses, and the password reset rate limited."""

import base64
import hashlib
import hmac
import re
import struct
import time
import uuid

import pytest
from django.core.management import call_command

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"


def rfc6238(secret_base32: str, *, at: float | None = None) -> str:
    """TOTP as the README states it (RFC 6238, SHA-1, 30 s, 6 digits), written out here so the
    test does not trust the library it checks."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def staff_with_totp():
    from participants.staff_otp import ensure_totp_device

    # A fresh email: failure counters per account live in Redis and outlive the test.
    user = UserFactory(
        is_staff=True, is_superuser=True, email=f"staf-{uuid.uuid4().hex[:8]}@contoh.id"
    )
    secret = ensure_totp_device(user=user)
    return user, secret


def admin_login(client, user, password=DEFAULT_PASSWORD, token="", ip="10.0.0.1"):
    return client.post(
        ADMIN_LOGIN,
        {"username": user.email, "password": password, "otp_token": token, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def test_the_right_password_without_a_second_factor_does_not_open_the_admin(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    response = admin_login(client, user)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_wrong_totp_token_does_not_open_the_admin(client, staff_with_totp):
    user, secret = staff_with_totp
    wrong = f"{(int(rfc6238(secret)) + 500_000) % 1_000_000:06d}"
    assert admin_login(client, user, token=wrong).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_totp_login_end_to_end(client, staff_with_totp):
    user, secret = staff_with_totp
    response = admin_login(client, user, token=rfc6238(secret))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_logs_in_once(client, staff_with_totp):
    from participants.staff_otp import issue_recovery_codes

    user, _secret = staff_with_totp
    codes = issue_recovery_codes(user=user)
    assert len(codes) == 10
    assert admin_login(client, user, token=codes[0]).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert admin_login(client, user, token=codes[0]).status_code == 200  # used up
    assert client.get("/admin/").status_code == 302


def test_a_staff_member_signed_in_through_the_participant_login_is_not_let_into_the_admin(
    client, staff_with_totp
):
    user, _secret = staff_with_totp
    response = client.post("/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/laporan/").status_code == 302


def test_admin_login_is_limited_per_account_across_addresses(client, staff_with_totp, settings):
    settings.RATELIMIT_ENABLE = True
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/h"
    user, secret = staff_with_totp
    for _ in range(6):
        admin_login(client, user, password="salah-sekali", ip=address())
    response = admin_login(client, user, token=rfc6238(secret), ip=address())
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_admin_login_is_locked_per_account_from_one_address(client, staff_with_totp):
    user, secret = staff_with_totp
    ip = address()
    for n in range(5):
        admin_login(client, user, password=f"salah-{n}", ip=ip)
    assert admin_login(client, user, token=rfc6238(secret), ip=ip).status_code == 429


def test_the_participant_login_is_limited_per_account_across_addresses(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/h"
    user = UserFactory(email=f"tebak-{uuid.uuid4().hex[:8]}@contoh.id")  # counters live in Redis
    for _ in range(6):
        client.post("/masuk/", {"username": user.email, "password": "salah"}, REMOTE_ADDR=address())
    response = client.post(
        "/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR=address()
    )
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.content.decode()


def test_the_owner_signing_in_does_not_use_up_the_account_limit(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.LOGIN_FAILURES_PER_ACCOUNT = "2/h"
    user = UserFactory(email=f"pemilik-{uuid.uuid4().hex[:8]}@contoh.id")
    for _ in range(4):
        form = {"username": user.email, "password": DEFAULT_PASSWORD}
        assert client.post("/masuk/", form, REMOTE_ADDR=address()).status_code == 302
        client.logout()


def test_the_password_reset_is_rate_limited(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_PASSWORD_RESET = "3/h"
    ip = address()
    statuses = [
        client.post("/lupa-sandi/", {"email": f"x{n}-{ip}@contoh.id"}, REMOTE_ADDR=ip).status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]


def test_the_password_reset_is_rate_limited_per_email(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_PASSWORD_RESET = "3/h"
    email = f"korban-{uuid.uuid4().hex[:8]}@contoh.id"  # counters outlive the test in Redis
    statuses = [
        client.post("/lupa-sandi/", {"email": email}, REMOTE_ADDR=address()).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]


def test_seed_demo_prints_a_working_totp_secret_on_the_staff_line(client, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    staff_line = next(
        line for line in capsys.readouterr().out.splitlines() if "state=staff" in line
    )
    fields = dict(part.split("=", 1) for part in staff_line.split()[1:])
    assert re.fullmatch(r"[A-Z2-7]{32}", fields["totp"])
    response = client.post(
        ADMIN_LOGIN,
        {
            "username": fields["email"],
            "password": fields["password"],
            "otp_token": rfc6238(fields["totp"]),
            "next": "/admin/",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
