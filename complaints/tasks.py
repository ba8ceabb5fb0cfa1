"""Thin Celery adapters for complaint emails; retries belong here."""

from celery import shared_task

from complaints import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_ticket_email(complaint_id: int) -> str:
    notifications.send_ticket_email(complaint_id=complaint_id)
    return f"ticket email sent for complaint {complaint_id}"


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_reply_email(reply_id: int) -> str:
    sent = notifications.send_reply_email(reply_id=reply_id)
    return f"reply {reply_id} {'sent' if sent else 'already sent'}"
