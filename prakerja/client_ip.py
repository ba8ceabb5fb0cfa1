"""The client's address: the one every rate limit, lockout and log line uses.

Behind a load balancer every connection comes from the balancer, so ``REMOTE_ADDR`` names the
balancer, not the person. Each proxy appends the address it received the request from to
``X-Forwarded-For``; entries further left were written by whoever sent the request and cannot
be believed. ``TRUSTED_PROXY_COUNT`` says how many proxies stand in front of the portal (1 for
the documented single load balancer, 0 when clients connect directly), so the client is the
``TRUSTED_PROXY_COUNT``-th address from the right. django-ipware parses the header (ports,
IPv6 brackets, garbage entries); a request without a usable header falls back to the
connection's address.

django-ratelimit (``RATELIMIT_IP_META_KEY``) and django-axes (``AXES_CLIENT_IP_CALLABLE``) call
:func:`client_ip`; nothing else reads ``REMOTE_ADDR``.
"""

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

_FORWARDED = ("HTTP_X_FORWARDED_FOR",)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (see the module text)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0 or "HTTP_X_FORWARDED_FOR" not in request.META:
        return remote
    # ipware's proxy_count counts the proxies named inside the header: all but the last one,
    # whose address is REMOTE_ADDR. Not strict: a client may prepend entries of its own.
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=_FORWARDED,
        strict=False,
    )
    return address or remote
