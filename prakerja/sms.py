"""The SMS edge of the system: one module, one ``send_sms`` function, pluggable backends.

``SMS_BACKEND`` chooses: ``console`` (print), ``locmem`` (an in-process outbox for tests),
``file`` (one JSON line per message at ``SMS_FILE_PATH``), ``http`` (a provider's HTTP API at
``SMS_HTTP_URL``) or a dotted path to a class with a ``send(to, text)`` method.
Services call :func:`send_sms`; tests read :data:`outbox`.
"""

import json
import logging
import re
import sys
import threading
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    text: str
    sent_at: str


class SmsError(Exception):
    """The provider did not accept the message."""


outbox: list[Message] = []
_file_lock = threading.Lock()


def normalize_phone(phone: str) -> str:
    """Indonesian mobile numbers to E.164: ``0812..``, ``62812..``, ``+62812..`` -> ``+62812..``."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    if digits.startswith("+62"):
        return digits
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("8"):
        return "+62" + digits
    return digits


class ConsoleBackend:
    def send(self, message: Message) -> None:
        sys.stdout.write(f"SMS to={message.to} text={message.text!r}\n")
        sys.stdout.flush()


class LocmemBackend:
    def send(self, message: Message) -> None:
        outbox.append(message)


class FileBackend:
    def send(self, message: Message) -> None:
        if not settings.SMS_FILE_PATH:
            raise SmsError("SMS_FILE_PATH is not set")
        line = json.dumps({"to": message.to, "text": message.text, "sent_at": message.sent_at})
        with _file_lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpBackend:
    """A generic SMS gateway: POST JSON ``{"to", "text", "sender"}`` with a bearer token."""

    def send(self, message: Message) -> None:
        body = json.dumps(
            {"to": message.to, "text": message.text, "sender": settings.SMS_SENDER_ID}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (http(s) URL from settings)
            settings.SMS_HTTP_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            },
        )
        try:
            timeout = settings.SMS_HTTP_TIMEOUT_SECONDS
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                if response.status >= 300:
                    raise SmsError(f"provider answered {response.status}")
        except OSError as exc:
            raise SmsError(str(exc)) from exc


BACKENDS = {
    "console": ConsoleBackend,
    "locmem": LocmemBackend,
    "file": FileBackend,
    "http": HttpBackend,
}


def get_backend():
    name = settings.SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()


def send_sms(*, to: str, text: str) -> Message:
    """Send one SMS now through the configured backend; raises :class:`SmsError` on failure."""
    message = Message(to=normalize_phone(to), text=text, sent_at=timezone.now().isoformat())
    get_backend().send(message)
    logger.info("sms sent", extra={"to_suffix": message.to[-4:], "backend": settings.SMS_BACKEND})
    return message
