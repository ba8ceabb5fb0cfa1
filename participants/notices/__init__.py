"""Telling people something by SMS and email: the one loop the jobs share (deadline reminders,
revocation notices, payout notices).

Each notice goes to the person's phone and email when they have one. A failed SMS is logged and
counted, not retried; the emails go over one mail connection, and a failed connection is logged
and counted too. The jobs claim what they announce before calling this, so a rerun does not
repeat a notice, and the dashboard carries the same news.

What the program itself tells a person (the selection announcement, the staff decisions on their
card) is ``participants.notices.decisions``; SMS go out through ``prakerja.sms``.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from prakerja import sms

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    phone: str
    email: str
    sms_text: str
    subject: str
    body: str
    log: dict = field(default_factory=dict)  # what identifies the notice in a warning


def letter(*, name: str, text: str) -> str:
    """An email body that is the SMS text with a salutation."""
    return f"{_('Yth.')} {name},\n\n{text}\n"


def send_notices(notices: Iterable[Notice], *, label: str) -> dict[str, int]:
    """Send each notice by SMS and email; returns counts ``sms``, ``email``, ``failed``."""
    counts = {"sms": 0, "email": 0, "failed": 0}
    messages = []
    for notice in notices:
        if notice.phone:
            try:
                sms.send_sms(to=notice.phone, text=notice.sms_text)
                counts["sms"] += 1
            except sms.SmsError:
                counts["failed"] += 1
                logger.warning(f"{label} sms failed", extra=notice.log)
        if notice.email:
            messages.append(
                EmailMessage(
                    notice.subject, notice.body, settings.DEFAULT_FROM_EMAIL, [notice.email]
                )
            )
    if messages:
        try:
            counts["email"] = get_connection().send_messages(messages) or 0
        except OSError:
            counts["failed"] += len(messages)
            logger.warning(f"{label} emails failed", extra={"count": len(messages)})
    return counts
