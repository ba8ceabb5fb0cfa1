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
