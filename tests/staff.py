"""The admin's second factor in tests: a current TOTP token for a staff account."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from participants.staff_otp import ensure_totp_device


def staff_totp_token(user) -> str:
    """The current 6-digit token of ``user``'s authenticator device (created if needed), to
    type into the admin login form like a staff member reading their phone."""
    ensure_totp_device(user=user)
    device = TOTPDevice.objects.get(user=user, name="authenticator")
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def admin_http_session(base_url: str, user, password: str):
    """A ``requests`` session signed in to the admin at ``base_url`` (a live server) through the
    real login form: email, password and the current TOTP token, like a staff member would."""
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{base_url}/admin/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base_url}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token,
            "username": user.email,
            "password": password,
            "otp_token": staff_totp_token(user),
            "next": "/admin/",
        },
        headers={"Referer": f"{base_url}/admin/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return session


def staff_with(permissions: list[str], email: str):
    """A staff account holding exactly ``permissions`` (dotted: ``app_label.codename``), as the
    README's permission sets are written."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, email=email)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user
