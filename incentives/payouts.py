"""The payout edge of the system: one module, backends chosen by ``PAYOUT_BACKEND``.

``fake`` (default) decides outcomes by the account number's last two digits (docs/payouts.md has
the table) and remembers every idempotency key in its own table, so a repeated key returns the
first result, like a real gateway. ``http`` talks to a real gateway with signed requests.
Services call :func:`get_backend`; tests replace or configure it here.

Every backend answers with an :class:`Outcome`; a timeout is an outcome (``timeout``), not an
exception, because the caller must treat it as "money may or may not have moved".
"""

import datetime as dt
import hmac
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F
from django.utils import timezone

from prakerja.links import portal_url_for
from trainings.services.credentials import SIGNATURE_WINDOW_SECONDS, sign

PAID = "paid"
FAILED = "failed"
TEMPORARY_ERROR = "temporary_error"
PENDING = "pending"
TIMEOUT = "timeout"
NOT_FOUND = "not_found"
VALID = "valid"
# The gateway does not offer an account check for this account (or at all).
UNSUPPORTED = "unsupported"

SIGNATURE_TOLERANCE_SECONDS = SIGNATURE_WINDOW_SECONDS


def callback_url() -> str:
    """Where the gateway posts a payout's result: the callback endpoint on ``PORTAL_URL``."""
    return portal_url_for("incentives:payout_callback")


@dataclass(frozen=True)
class PayoutOrder:
    idempotency_key: str
    reference: str
    amount_idr: int
    account_kind: str
    account_number: str
    holder_name: str


@dataclass(frozen=True)
class Outcome:
    status: str
    reason_code: str = ""
    gateway_reference: str = ""


@dataclass(frozen=True)
class ReportLine:
    status: str
    amount_idr: int


@dataclass
class AccountCheck:
    kind: str
    number: str
    holder_name: str
    expected_name: str
    extra: dict = field(default_factory=dict)


def verify_signature(
    *, secret: str, timestamp: str, signature: str, method: str, path: str, body: bytes, now
) -> bool:
    """True when the signature matches and the timestamp is within the partner API's window
    of ``now``. One HMAC rule for partners, the gateway and its callbacks (:func:`sign`, from
    ``trainings.services.credentials``). A timestamp that is not a plain Unix-seconds number,
    or an empty secret, is simply a refusal."""
    if not secret or not timestamp or len(timestamp) > 12 or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = sign(secret=secret, timestamp=timestamp, method=method, path=path, body=body)
    given = (signature or "").strip().lower().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(expected.encode(), given)


def _normalize_name(name: str) -> str:
    return " ".join(name.upper().split())


# --- fake -----------------------------------------------------------------------------------------


class FakeBackend:
    """A gateway simulator. Outcome by the account number's last two digits:

    ``01`` account closed, ``02`` name mismatch, ``03`` e-wallet not premium, ``04`` account not
    found (these four also fail account validation); ``05`` temporary error on the first two
    requests for an installment; ``06`` timeout after the money moved (first request);
    ``07`` timeout before the request arrived (first send of a key); ``08`` accepted
    asynchronously (result by callback or status query); anything else paid.
    """

    PERMANENT = {
        "01": "account_closed",
        "02": "name_mismatch",
        "03": "ewallet_not_premium",
        "04": "account_not_found",
    }
    # A request that "never arrived": remembered only so the test can see it; status says
    # not_found and a resend with the same key processes it.
    LOST = "lost"

    def validate_account(self, check: AccountCheck) -> Outcome:
        if settings.PAYOUT_FAKE_VALIDATION_LATENCY_MS:
            time.sleep(settings.PAYOUT_FAKE_VALIDATION_LATENCY_MS / 1000)
        reason = self.PERMANENT.get(check.number[-2:])
        if reason:
            return Outcome(FAILED, reason)
        if check.expected_name and _normalize_name(check.holder_name) != _normalize_name(
            check.expected_name
        ):
            return Outcome(FAILED, "name_mismatch")
        return Outcome(VALID)

    def check_holder(self, check: AccountCheck) -> Outcome:
        """The check made before an account is saved: like :meth:`validate_account` for a BNI
        account (the bank answers whose account it is); an e-wallet's holder cannot be asked
        in advance here (``unsupported``), its payout tells."""
        if check.kind != "bni":
            return Outcome(UNSUPPORTED)
        return self.validate_account(check)

    def send(self, order: PayoutOrder) -> Outcome:
        return self.send_many([order])[0]

    def send_many(self, orders: list[PayoutOrder]) -> list[Outcome]:
        from incentives.models import FakeGatewayTransfer

        latency = settings.PAYOUT_FAKE_LATENCY_MS
        if latency:
            time.sleep(latency * len(orders) / 1000)
        now = timezone.now()
        keys = [o.idempotency_key for o in orders]
        fields = ("idempotency_key", "pk", "status", "reason_code", "tries")
        known = {
            row[0]: row
            for row in FakeGatewayTransfer.objects.filter(idempotency_key__in=keys).values_list(
                *fields
            )
        }
        history = dict(
            FakeGatewayTransfer.objects.filter(reference__in={o.reference for o in orders})
            .exclude(status=self.LOST)
            .values_list("reference")
            .annotate(n=Count("id"))
        )
        results: dict[str, Outcome] = {}
        new_rows = []
        revived = []
        for order in orders:
            existing = known.get(order.idempotency_key)
            if existing is not None and existing[2] not in (self.LOST, TEMPORARY_ERROR):
                results[order.idempotency_key] = Outcome(
                    existing[2], existing[3], f"FAKE-{existing[1]}"
                )
                continue
            digits = order.account_number[-2:]
            prior = history.get(order.reference, 0)
            if existing is not None and existing[2] == TEMPORARY_ERROR:
                prior = existing[4]
            stored, answer = self._decide(digits=digits, prior=prior, seen=existing is not None)
            results[order.idempotency_key] = answer
            if existing is not None:
                revived.append((existing[1], stored))
            else:
                new_rows.append(
                    FakeGatewayTransfer(
                        idempotency_key=order.idempotency_key,
                        reference=order.reference,
                        amount_idr=order.amount_idr,
                        account_number=order.account_number,
                        status=stored.status,
                        reason_code=stored.reason_code,
                        created_at=now,
                    )
                )
        if new_rows:
            FakeGatewayTransfer.objects.bulk_create(new_rows, ignore_conflicts=True)
        for pk, stored in revived:
            FakeGatewayTransfer.objects.filter(
                pk=pk, status__in=[self.LOST, TEMPORARY_ERROR]
            ).update(status=stored.status, reason_code=stored.reason_code, tries=F("tries") + 1)
        # A concurrent request with the same key may have won the insert: answer what is stored.
        stored_now = {
            row[0]: row
            for row in FakeGatewayTransfer.objects.filter(idempotency_key__in=keys).values_list(
                *fields
            )
        }
        answers = []
        for order in orders:
            answer = results[order.idempotency_key]
            row = stored_now.get(order.idempotency_key)
            if row is not None and answer.status not in (TIMEOUT, PENDING):
                answer = Outcome(row[2], row[3], f"FAKE-{row[1]}")
                if row[2] == self.LOST:
                    answer = Outcome(TIMEOUT)
            answers.append(answer)
        return answers

    def _decide(self, *, digits: str, prior: int, seen: bool) -> tuple[Outcome, Outcome]:
        """(what the gateway stores, what the caller hears)."""
        if digits in self.PERMANENT:
            outcome = Outcome(FAILED, self.PERMANENT[digits])
            return outcome, outcome
        if digits == "05" and prior < 2:
            outcome = Outcome(TEMPORARY_ERROR, "temporary_error")
            return outcome, outcome
        if digits == "06" and prior == 0:
            return Outcome(PAID), Outcome(TIMEOUT)
        if digits == "07" and not seen:
            return Outcome(self.LOST), Outcome(TIMEOUT)
        if digits == "08":
            return Outcome(PAID), Outcome(PENDING)
        return Outcome(PAID), Outcome(PAID)

    def status(self, idempotency_key: str) -> Outcome:
        from incentives.models import FakeGatewayTransfer

        row = FakeGatewayTransfer.objects.filter(idempotency_key=idempotency_key).first()
        if row is None or row.status in (self.LOST, TEMPORARY_ERROR):
            return Outcome(NOT_FOUND)
        return Outcome(row.status, row.reason_code, f"FAKE-{row.pk}")

    def report(self, *, since: dt.datetime, until: dt.datetime) -> dict[str, ReportLine]:
        from incentives.models import FakeGatewayTransfer

        rows = FakeGatewayTransfer.objects.filter(
            created_at__gte=since, created_at__lt=until
        ).exclude(status=self.LOST)
        return {
            key: ReportLine(status, amount)
            for key, status, amount in rows.values_list("idempotency_key", "status", "amount_idr")
        }


# --- http -----------------------------------------------------------------------------------------


class HttpBackend:
    """A real gateway over HTTPS. Requests carry ``X-Key``, ``X-Timestamp``, ``X-Signature``
    (see :func:`sign`) and, for payouts, ``Idempotency-Key``. docs/payouts.md has the API."""

    def __init__(self):
        self.base_url = settings.PAYOUT_HTTP_URL.rstrip("/")
        self.key = settings.PAYOUT_HTTP_KEY
        self.secret = settings.PAYOUT_HTTP_SECRET
        self.timeout = settings.PAYOUT_HTTP_TIMEOUT_SECONDS

    def _call(self, method: str, path: str, payload: dict | None = None, *, idem: str = ""):
        """Returns (http_status, json_body); raises TimeoutError or ConnectionError."""
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
        timestamp = str(int(timezone.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Key": self.key,
            "X-Timestamp": timestamp,
            "X-Signature": sign(
                secret=self.secret, timestamp=timestamp, method=method, path=path, body=body
            ),
        }
        if idem:
            headers["Idempotency-Key"] = idem
        request = urllib.request.Request(  # noqa: S310 (URL from settings)
            self.base_url + path, data=body or None, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                data = json.loads(exc.read() or b"{}")
            except ValueError:
                data = {}
            return exc.code, data
        except TimeoutError as exc:
            raise TimeoutError(str(exc)) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise TimeoutError(str(exc)) from exc
            raise ConnectionError(str(exc)) from exc

    @staticmethod
    def _outcome(code: int, data: dict) -> Outcome:
        if code in (200, 201, 202):
            status = data.get("status", "")
            if status in (PAID, FAILED, PENDING):
                return Outcome(status, data.get("reason_code", ""), data.get("reference", ""))
            return Outcome(PENDING, "", data.get("reference", ""))
        if code == 404:
            return Outcome(NOT_FOUND)
        if code == 422 and data.get("reason_code"):
            return Outcome(FAILED, data["reason_code"])
        return Outcome(TEMPORARY_ERROR, "temporary_error")

    def validate_account(self, check: AccountCheck) -> Outcome:
        try:
            code, data = self._call(
                "POST",
                "/v1/accounts/validate",
                {
                    "kind": check.kind,
                    "number": check.number,
                    "holder_name": check.holder_name,
                    "expected_name": check.expected_name,
                },
            )
        except (TimeoutError, ConnectionError):
            return Outcome(TEMPORARY_ERROR, "temporary_error")
        if code == 200 and data.get("valid"):
            return Outcome(VALID)
        if code == 200:
            return Outcome(FAILED, data.get("reason_code", "account_not_found"))
        if code in (404, 405, 501):
            return Outcome(UNSUPPORTED)  # this gateway offers no account check
        return Outcome(TEMPORARY_ERROR, "temporary_error")

    def check_holder(self, check: AccountCheck) -> Outcome:
        """The check made before an account is saved: the gateway's account validation (holder
        name against the participant's name), ``unsupported`` where it offers none."""
        return self.validate_account(check)

    def send(self, order: PayoutOrder) -> Outcome:
        try:
            code, data = self._call(
                "POST",
                "/v1/payouts",
                {
                    "idempotency_key": order.idempotency_key,
                    "reference": order.reference,
                    "amount_idr": order.amount_idr,
                    "account_kind": order.account_kind,
                    "account_number": order.account_number,
                    "holder_name": order.holder_name,
                    "callback_url": callback_url(),
                },
                idem=order.idempotency_key,
            )
        except TimeoutError:
            return Outcome(TIMEOUT)
        except ConnectionError:
            # Refused before anything was sent: nothing moved.
            return Outcome(TEMPORARY_ERROR, "temporary_error")
        outcome = self._outcome(code, data)
        return (
            Outcome(TEMPORARY_ERROR, "temporary_error") if outcome.status == NOT_FOUND else outcome
        )

    def send_many(self, orders: list[PayoutOrder]) -> list[Outcome]:
        return [self.send(order) for order in orders]

    def status(self, idempotency_key: str) -> Outcome:
        try:
            code, data = self._call(
                "GET", f"/v1/payouts/{urllib.parse.quote(idempotency_key, safe='')}"
            )
        except TimeoutError:
            return Outcome(TIMEOUT)
        except ConnectionError:
            return Outcome(TEMPORARY_ERROR, "temporary_error")
        return self._outcome(code, data)

    def report(self, *, since: dt.datetime, until: dt.datetime) -> dict[str, ReportLine]:
        query = urllib.parse.urlencode(
            {"from": int(since.timestamp()), "to": int(until.timestamp())}
        )
        code, data = self._call("GET", f"/v1/reports?{query}")
        if code != 200:
            raise ConnectionError(f"report answered {code}")
        return {
            line["idempotency_key"]: ReportLine(line["status"], int(line["amount_idr"]))
            for line in data.get("payouts", [])
        }


BACKENDS = {"fake": FakeBackend, "http": HttpBackend}


def get_backend():
    return BACKENDS[settings.PAYOUT_BACKEND]()
