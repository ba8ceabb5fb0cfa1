"""Failed logins of one account from many addresses.

django-axes locks an account *from one address* after ``AXES_FAILURE_LIMIT`` failures
(``AXES_LOCKOUT_PARAMETERS``): an address a mobile carrier shares among thousands never locks
anyone else. Guessing one account's password from many addresses is slowed here instead, at a
higher figure, ``LOGIN_FAILURES_PER_ACCOUNT`` (django-ratelimit syntax, counted in the rate-limit
cache): only failures count, so the owner signing in now and then never uses it up.

Both login forms (``/masuk/`` and the admin's) go through :class:`AccountFailureLimitBackend`,
first of the authentication backends; over the limit it refuses before any password is checked
and answers through the same lockout page as axes (429, Indonesian, saying how long to wait).
"""

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django_ratelimit.core import is_ratelimited

GROUP = "login-failures-per-account"


def _account_key(group, request) -> str:
    return request._login_account  # set by the two callers below, never from the request


def _rate(group, request) -> str:
    return settings.LOGIN_FAILURES_PER_ACCOUNT


def _over_limit(request, username: str, *, count: bool) -> bool:
    if request is None or not username:
        return False
    request._login_account = username.strip().lower()
    return is_ratelimited(request, group=GROUP, key=_account_key, rate=_rate, increment=count)


class AccountFailureLimitBackend:
    """Refuses every login of an account over its failure limit (see the module text). It
    signs nobody in, so it has no ``get_user`` (``force_login`` skips it)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if _over_limit(request, username or "", count=False):
            # AxesMiddleware turns this flag into the lockout page (AXES_LOCKOUT_CALLABLE).
            request.axes_locked_out = True
            request.login_account_limited = True
            raise PermissionDenied
        return None


@receiver(user_login_failed, dispatch_uid="prakerja_login_failure_per_account")
def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    if request is not None and not getattr(request, "axes_locked_out", False):
        _over_limit(request, credentials.get("username", ""), count=True)
