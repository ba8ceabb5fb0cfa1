"""Celery tasks for participants: thin adapters that take ids and call one service each."""

from celery import shared_task

from participants.eligibility import lists, recheck
from participants.models import SelectionRun, User
from participants.notices import decisions
from participants.registration import mail as registration_mail
from participants.registration import steps
from participants.services import registry_checks
from participants.waves import selection
from prakerja.jobruns import recorded


@shared_task
def announce_selection(run_id: int) -> dict[str, int]:
    """Fan the announcement of one selection run out into batches of at most
    ``ANNOUNCEMENT_BATCH`` ids: SMS and email to the selected, email to the not selected."""
    run = SelectionRun.objects.get(pk=run_id)
    batches = {"selected": 0, "not_selected": 0}
    for ids in decisions.selected_batches(run=run):
        send_selected_sms.delay(ids)
        send_selected_emails.delay(ids)
        batches["selected"] += 1
    for ids in decisions.not_selected_batches(run=run):
        send_not_selected_emails.delay(ids)
        batches["not_selected"] += 1
    return batches


@shared_task
def send_selected_sms(participant_ids: list[int]) -> dict[str, int]:
    return decisions.send_selected_sms(participant_ids=participant_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_selected_emails(participant_ids: list[int]) -> int:
    return decisions.send_selected_emails(participant_ids=participant_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_not_selected_emails(application_ids: list[int]) -> int:
    return decisions.send_not_selected_emails(application_ids=application_ids)


@shared_task
def notify_card_decision(event_id: int) -> dict[str, int]:
    """SMS and email about one staff decision on a card (freeze, lift, revocation for fraud),
    once (``decisions.send_card_decision_notice`` claims it)."""
    return decisions.send_card_decision_notice(event_id=event_id)


@shared_task
@recorded("run-due-selections")
def run_due_selections() -> dict:
    """Beat: selection for waves whose announcement time has passed and that have no run."""
    runs = selection.run_due_selections()
    return {
        "ran": len(runs),
        "selected": sum(run.selected for run in runs),
        "waves": [run.wave.number for run in runs],
    }


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_verification_email(user_id: int, verify_url: str) -> None:
    """The email confirmation link of a new account (sent off the registration request)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None and user.email_verified_at is None:
        steps.send_verification_email(user=user, verify_url=verify_url)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
@recorded("registration-mail")
def flush_registration_mail() -> int:
    """Send the registration emails waiting in Redis or, after a Redis outage, in PostgreSQL
    (``participants.registration.mail``); also the ``registration-mail`` beat entry."""
    return registration_mail.flush()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_registration_mail(items: list[str]) -> int:
    """Registration emails without Redis (``make run``): one task each."""
    return registration_mail.send(items)


@shared_task
@recorded("retry-registry-checks")
def retry_registry_checks() -> str:
    """Beat: ask the civil registry again about the pending identity checks that are due."""
    return registry_checks.retry_due_checks().line()


@shared_task
@recorded("recheck-eligibility")
def recheck_eligibility() -> str:
    """Beat, and after every list import: flag participants now on an exclusion list."""
    return recheck.recheck().line()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def purge_replaced_lists() -> int:
    """After an import: delete the rows of the list versions it replaced."""
    return lists.purge_replaced()
