"""Thin Celery adapters for complaint emails; retries belong here."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from complaints import notifications

logger = logging.getLogger(__name__)


def enqueue_or_send(task, object_id: int) -> None:
    """Queue an email task; when the broker (Redis) is down, send it in this process instead, so
    the person who just filed a complaint neither sees a 500 nor loses the email."""
    try:
        task.delay(object_id)
    except OperationalError:
        logger.warning("complaints: broker unreachable, sending inline", exc_info=True)
        task(object_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_ticket_email(complaint_id: int) -> str:
    notifications.send_ticket_email(complaint_id=complaint_id)
    return f"ticket email sent for complaint {complaint_id}"


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_reply_email(reply_id: int) -> str:
    sent = notifications.send_reply_email(reply_id=reply_id)
    return f"reply {reply_id} {'sent' if sent else 'already sent'}"
