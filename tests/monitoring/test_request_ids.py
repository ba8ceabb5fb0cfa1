"""Logs that connect: every line of a request carries its id (the one in ``X-Request-ID``), and a
Celery task the request queued logs with the same id in a real worker."""

import io
import json
import logging
import time
import uuid
from contextlib import contextmanager

import pytest
from celery import shared_task
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import include, path

from prakerja import logcontext
from prakerja.jobs import enqueue

logger = logging.getLogger("tests.request_ids")


@shared_task(name="tests.monitoring.probe_request_id")
def probe_request_id(key: str) -> None:
    """Logs one line and stores the request id it sees."""
    logger.warning("probe task ran")
    cache.set(key, logcontext.request_id.get() or "-", timeout=60)


def queue_probe(request):
    logger.warning("probe view queues a task")
    enqueue("tests.monitoring.probe_request_id", request.GET["key"])
    return HttpResponse("ok")


urlpatterns = [path("probe/", queue_probe), path("", include("prakerja.urls"))]


@contextmanager
def json_log_lines():
    """The lines the configured JSON handler (LOGGING's ``stdout``) writes, parsed."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, logcontext.ContextFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line)


@pytest.mark.django_db
def test_every_log_line_of_a_request_carries_the_id_of_its_response(client, settings):
    settings.ROOT_URLCONF = __name__
    with json_log_lines() as lines:
        response = client.get("/tidak-ada-halaman/")  # django.request logs "Not Found"
        other = client.get("/tidak-ada-juga/")
    assert response.status_code == 404
    mine = [line for line in lines if "tidak-ada-halaman" in line["message"]]
    assert mine and all(line["request_id"] == response["X-Request-ID"] for line in mine)
    theirs = [line for line in lines if "tidak-ada-juga" in line["message"]]
    assert theirs and theirs[0]["request_id"] == other["X-Request-ID"]


def test_a_line_logged_outside_any_request_has_no_request_id():
    with json_log_lines() as lines:
        logger.warning("di luar permintaan")
    assert "request_id" not in lines[0]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_with_the_requests_id_in_a_real_worker(
    client, settings, real_worker
):
    settings.ROOT_URLCONF = __name__
    key = f"probe:{uuid.uuid4()}"
    with json_log_lines() as lines:
        response = client.get("/probe/", {"key": key})
        deadline = time.monotonic() + 20
        while cache.get(key) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    request_id = response["X-Request-ID"]
    assert cache.get(key) == request_id
    task_lines = [line for line in lines if line["message"] == "probe task ran"]
    assert task_lines, lines
    assert task_lines[0]["request_id"] == request_id
    assert task_lines[0]["task"] == "tests.monitoring.probe_request_id"
    assert task_lines[0]["task_id"]
    view_lines = [line for line in lines if line["message"] == "probe view queues a task"]
    assert view_lines[0]["request_id"] == request_id
