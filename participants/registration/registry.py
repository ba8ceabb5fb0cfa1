"""The civil-registry (Dukcapil) edge of the system: one module, backends chosen by
``REGISTRY_BACKEND``.

:func:`verify_identity` asks whether a NIK, its family card (KK) number, the name and the birth
date belong together, and answers with an :class:`Answer`: ``match``, ``mismatch`` (with the one
field that differs, the first in the order of :data:`FIELDS`) or ``unavailable`` (the registry
could not answer: an outage, a timeout, an open circuit). An unavailable registry is an answer,
not an exception: the caller keeps the person's data and checks again later.

``fake`` (development and tests) answers by the NIK's serial, its last four digits
(:data:`FAKE_SERIALS`); ``http`` posts to the registry's HTTPS interface with a timeout, a few
quick retries and a circuit breaker (pybreaker) whose state is shared through Redis when there is
one. Nothing the registry returns about the person is kept: the caller records only the result,
the field, the backend, the attempt and the time (``participants.services.registry_checks``).
"""

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pybreaker
from django.conf import settings

logger = logging.getLogger(__name__)

MATCH = "match"
MISMATCH = "mismatch"
UNAVAILABLE = "unavailable"

NIK = "nik"
KK = "kk"
NAME = "name"
BIRTH_DATE = "birth_date"
# The order in which a mismatch is reported when several fields differ.
FIELDS = (NIK, KK, NAME, BIRTH_DATE)


@dataclass(frozen=True)
class Query:
    nik: str
    kk: str
    name: str
    birth_date: dt.date


@dataclass(frozen=True)
class Answer:
    """``result`` is MATCH, MISMATCH or UNAVAILABLE; ``field`` the differing field of a mismatch;
    ``detail`` why the registry was unavailable (``timeout``, ``http_503``, ``circuit_open``...),
    never data about the person."""

    result: str
    field: str = ""
    detail: str = ""


# --- fake -----------------------------------------------------------------------------------------

# The fake registry's answers, by the NIK's last four digits (every other NIK matches):
FAKE_SERIALS = {
    "0991": Answer(MISMATCH, KK),  # the KK number is not the NIK's family card
    "0992": Answer(MISMATCH, NAME),  # the name differs from the registry's
    "0993": Answer(MISMATCH, BIRTH_DATE),  # the birth date differs
    "0994": Answer(MISMATCH, NIK),  # no such NIK in the registry
    "0995": Answer(UNAVAILABLE, detail="outage"),  # an outage that lasts: never answers
}
# Unavailable for the first two attempts, then a match: a retry that succeeds later.
FAKE_RECOVERS = "0996"
FAKE_RECOVERS_AFTER = 2
# Answers (a match) after REGISTRY_FAKE_SLOW_SECONDS; past REGISTRY_TIMEOUT_SECONDS it is given up
# as the http backend would (unavailable, ``timeout``).
FAKE_SLOW = "0997"


class FakeBackend:
    name = "fake"

    def verify(self, query: Query, *, attempt: int) -> Answer:
        serial = query.nik[-4:]
        if serial == FAKE_SLOW:
            delay = settings.REGISTRY_FAKE_SLOW_SECONDS
            timeout = settings.REGISTRY_TIMEOUT_SECONDS
            time.sleep(min(delay, timeout))
            return Answer(UNAVAILABLE, detail="timeout") if delay > timeout else Answer(MATCH)
        if serial == FAKE_RECOVERS and attempt <= FAKE_RECOVERS_AFTER:
            return Answer(UNAVAILABLE, detail="outage")
        return FAKE_SERIALS.get(serial, Answer(MATCH))


# --- http -----------------------------------------------------------------------------------------


class RegistryUnavailable(Exception):
    """The registry did not answer in time or answered with a server error (counted by the
    circuit breaker)."""


def _breaker_storage():
    if settings.REDIS_URL:
        from prakerja import redis_client

        return pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED,
            redis_client.client(settings.REDIS_URL),
            namespace="registry",
        )
    return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)


_breakers: dict[tuple, pybreaker.CircuitBreaker] = {}


def breaker() -> pybreaker.CircuitBreaker:
    """The one circuit breaker of the registry for these settings (shared by every process
    through Redis when ``REDIS_URL`` is set): after ``REGISTRY_BREAKER_FAILURES`` failed calls in
    a row it opens, and calls are refused at once for ``REGISTRY_BREAKER_RESET_SECONDS``; then one
    trial call decides whether it closes again."""
    key = (
        settings.REDIS_URL,
        settings.REGISTRY_BREAKER_FAILURES,
        settings.REGISTRY_BREAKER_RESET_SECONDS,
    )
    if key not in _breakers:
        _breakers[key] = pybreaker.CircuitBreaker(
            fail_max=settings.REGISTRY_BREAKER_FAILURES,
            reset_timeout=settings.REGISTRY_BREAKER_RESET_SECONDS,
            state_storage=_breaker_storage(),
            name="registry",
            # The call that trips the breaker reports its own failure (timeout, http_503).
            throw_new_error_on_trip=False,
        )
    return _breakers[key]


class HttpBackend:
    """The registry's HTTPS interface: ``POST {REGISTRY_HTTP_URL}/v1/verify`` with a bearer
    token and the JSON body ``{"nik", "kk", "name", "birth_date"}``; it answers 200 with
    ``{"result": "match"}`` or ``{"result": "mismatch", "field": "kk"}``. A timeout, a refused
    connection, a 429 or a 5xx is retried ``REGISTRY_HTTP_RETRIES`` times (short pauses), then
    reported unavailable; anything else unexpected is unavailable at once."""

    name = "http"

    def verify(self, query: Query, *, attempt: int) -> Answer:
        tries = settings.REGISTRY_HTTP_RETRIES + 1
        for number in range(1, tries + 1):
            try:
                return breaker().call(self._post, query)
            except pybreaker.CircuitBreakerError:
                return Answer(UNAVAILABLE, detail="circuit_open")
            except RegistryUnavailable as exc:
                detail = str(exc)
                if number == tries:
                    return Answer(UNAVAILABLE, detail=detail)
                time.sleep(settings.REGISTRY_HTTP_RETRY_PAUSE_SECONDS * number)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, query: Query) -> Answer:
        body = json.dumps(
            {
                "nik": query.nik,
                "kk": query.kk,
                "name": query.name,
                "birth_date": query.birth_date.isoformat(),
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (https URL from settings)
            settings.REGISTRY_HTTP_URL.rstrip("/") + "/v1/verify",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.REGISTRY_HTTP_TOKEN}",
            },
        )
        try:
            timeout = settings.REGISTRY_TIMEOUT_SECONDS
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                data = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise RegistryUnavailable(f"http_{exc.code}") from exc
            logger.error("registry refused the request", extra={"status": exc.code})
            return Answer(UNAVAILABLE, detail=f"http_{exc.code}")
        except TimeoutError as exc:
            raise RegistryUnavailable("timeout") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise RegistryUnavailable("timeout") from exc
            raise RegistryUnavailable("connection") from exc
        except (OSError, ValueError) as exc:
            raise RegistryUnavailable("bad_answer") from exc
        if data.get("result") == MATCH:
            return Answer(MATCH)
        if data.get("result") == MISMATCH and data.get("field") in FIELDS:
            return Answer(MISMATCH, data["field"])
        return Answer(UNAVAILABLE, detail="bad_answer")


BACKENDS = {"fake": FakeBackend, "http": HttpBackend}


def backend_name() -> str:
    return settings.REGISTRY_BACKEND


def verify_identity(*, query: Query, attempt: int = 1) -> Answer:
    """Ask the configured registry about ``query`` (``attempt`` counts from 1 for the person)."""
    return BACKENDS[settings.REGISTRY_BACKEND]().verify(query, attempt=attempt)
