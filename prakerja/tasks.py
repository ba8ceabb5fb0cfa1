"""Project-level Celery tasks: plumbing only, no program rules."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from prakerja import sessions
from prakerja.jobruns import recorded


@shared_task
@recorded("heartbeat")
def heartbeat() -> str:
    """Record that beat and a worker are alive; /healthz and operators can read it."""
    now = timezone.now().isoformat()
    cache.set("prakerja:heartbeat", now, timeout=None)
    return now


@shared_task
@recorded("clear-sessions")
def clear_expired_sessions() -> int:
    """Beat: delete expired sessions from PostgreSQL (``prakerja.sessions``)."""
    return sessions.clear_expired()
