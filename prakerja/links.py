"""Absolute links to the portal for messages that leave it (SMS, email).

Every link in an SMS or email is built here from ``PORTAL_URL`` (README, Configuration), never
from a request's host or a hard-coded address; pages themselves use relative links.
"""

from django.conf import settings
from django.urls import reverse


def portal_url(path: str = "/") -> str:
    """``PORTAL_URL`` joined with an absolute ``path`` ("/dasbor/")."""
    return settings.PORTAL_URL.rstrip("/") + path


def portal_url_for(viewname: str, *args, **kwargs) -> str:
    """The absolute address of a named URL, e.g. ``portal_url_for("dashboard")``."""
    return portal_url(reverse(viewname, args=args or None, kwargs=kwargs or None))
