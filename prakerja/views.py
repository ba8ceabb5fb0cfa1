"""Project-level views: the home page and the health check."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prakerja import redis_client

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("healthz: database check failed")
        return False
    return True


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "embedded"
    import redis

    try:
        # The process's pool: a load balancer calls /healthz every few seconds.
        redis_client.client(settings.REDIS_URL).ping()
    except redis.RedisError:
        logger.warning("healthz: broker check failed", exc_info=True)
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database_ok = _database_ok()
    body = {
        "status": "ok" if database_ok else "error",
        "database": "ok" if database_ok else "error",
        "broker": _broker_status(),
    }
    return JsonResponse(body, status=200 if database_ok else 503)
