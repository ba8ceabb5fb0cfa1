"""What every log line says about where it comes from: the request id (and, in a worker, the
task), so the lines of one request and of the Celery tasks it queued can be found together.

The id lives in a context variable: ``prakerja.middleware.RequestContextMiddleware`` sets it for
a request, ``prakerja.metrics.celery`` carries it in the headers of every task the request
queues and sets it again in the worker while the task runs. :class:`ContextFilter`, attached to
the log handler (``LOGGING`` in settings), copies it onto each record, so the JSON line has a
``request_id`` field (and ``task``/``task_id`` in a worker).
"""

import logging
import os
import re
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
task: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)

# What an id from outside may look like (a proxy's UUID, hex or base64url token): anything else
# is replaced, so no header can put arbitrary text into the logs.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def forget_request(**kwargs) -> None:
    """``request_finished`` receiver: lines logged after the response has been sent belong to
    no request."""
    request_id.set(None)


def new_request_id() -> str:
    """32 random hex digits (128 bits, like a UUID4, for a fifth of its cost)."""
    return os.urandom(16).hex()


def well_formed(value: str | None) -> bool:
    return bool(value) and _WELL_FORMED.match(value) is not None


class ContextFilter(logging.Filter):
    """Adds ``request_id`` (and ``task``, ``task_id``) to every record logged in that context;
    a value the caller passed in ``extra`` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None and not hasattr(record, "request_id"):
            record.request_id = current
        running = task.get()
        if running is not None and not hasattr(record, "task_id"):
            record.task, record.task_id = running
        return True
