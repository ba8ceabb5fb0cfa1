"""Project-wide middleware: the request's id and measurements, and response headers."""

import time

from django.conf import settings
from django.db import connection
from django.utils.cache import patch_cache_control

from prakerja import logcontext
from prakerja.metrics import instruments


class _QueryTimer:
    """``connection.execute_wrapper``: counts the request's queries and the time spent in them."""

    __slots__ = ("count", "seconds")

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def _view_label(request) -> str:
    """The URL name of the view that answered: bounded, unlike paths. Requests answered before
    any view say who answered them instead."""
    match = request.resolver_match
    if match is not None:
        return match.view_name
    waiting = getattr(request, "answered_by", None)
    if waiting:
        return waiting
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class RequestContextMiddleware:
    """First in ``MIDDLEWARE``: gives the request its id and measures it.

    The id is the ``X-Request-ID`` of the trusted proxy in front (``TRUSTED_PROXY_COUNT`` >= 1)
    when it is well formed, else a new one; it is on every log line of the request
    (``prakerja.logcontext``), in the ``X-Request-ID`` response header, and in the headers of the
    Celery tasks the request queues. The request is counted by view and status with its
    latency, its database queries and their time (``prakerja.metrics.instruments``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        trusted = settings.TRUSTED_PROXY_COUNT > 0
        incoming = request.META.get("HTTP_X_REQUEST_ID") if trusted else None
        request_id = incoming if logcontext.well_formed(incoming) else logcontext.new_request_id()
        request.request_id = request_id
        # Cleared when the response is closed (``request_finished``), not here: Django logs a
        # 4xx/5xx after the last middleware returns, and a streamed body is read later still.
        logcontext.request_id.set(request_id)
        queries = _QueryTimer()
        started = time.perf_counter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["X-Request-ID"] = request_id
        instruments.observe_request(
            view=_view_label(request),
            method=request.method,
            status=response.status_code,
            seconds=seconds,
            queries=queries.count,
            db_seconds=queries.seconds,
        )
        return response


class PrivatePagesMiddleware:
    """Every page answered to a signed-in person is personal (their dashboard, complaints,
    trainings, the admin): ``Cache-Control: private, no-store`` keeps it out of shared caches
    and the browser's disk cache (a shared computer at a job centre)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
