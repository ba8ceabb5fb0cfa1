"""A tiny payout gateway for tests, served over real HTTP in a thread on 127.0.0.1.

It checks every request's signature, remembers payouts by Idempotency-Key (a repeated key gets
the first result), and behaves by the account number's last two digits like the fake backend:
``05`` answers 503, ``06`` pays but answers too slowly (the client times out), ``08`` accepts
and reports the result later by a signed callback.
"""

import contextlib
import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from django.utils import timezone

from incentives import payouts

KEY = "gateway-key"
SECRET = "gateway-secret"


class Gateway:
    def __init__(self, *, slow_seconds: float = 1.0):
        self.payouts: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.bad_signatures = 0
        self.slow_seconds = slow_seconds
        # A gateway may offer no account check at all: it then answers 404 there.
        self.offers_account_check = True
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, code: int, data: dict):
                body = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ok = self.headers.get("X-Key") == KEY and payouts.verify_signature(
                    secret=SECRET,
                    timestamp=self.headers.get("X-Timestamp", ""),
                    signature=self.headers.get("X-Signature", ""),
                    method=method,
                    path=self.path,
                    body=body,
                    now=timezone.now(),
                )
                gateway.requests.append(
                    {
                        "method": method,
                        "path": self.path,
                        "idem": self.headers.get("Idempotency-Key"),
                    }
                )
                if not ok:
                    gateway.bad_signatures += 1
                    return self._reply(401, {"error": "bad signature"})
                code, data, delay = gateway.route(method, self.path, body, self.headers)
                if delay:
                    time.sleep(delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._reply(code, data)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def route(self, method: str, path: str, body: bytes, headers) -> tuple[int, dict, float]:
        url = urlparse(path)
        if method == "POST" and url.path == "/v1/accounts/validate":
            if not self.offers_account_check:
                return 404, {"error": "no route"}, 0
            data = json.loads(body)
            reason = payouts.FakeBackend.PERMANENT.get(data["number"][-2:])
            names = [" ".join(data[k].upper().split()) for k in ("holder_name", "expected_name")]
            if not reason and data["expected_name"] and names[0] != names[1]:
                reason = "name_mismatch"
            return 200, ({"valid": False, "reason_code": reason} if reason else {"valid": True}), 0
        if method == "POST" and url.path == "/v1/payouts":
            data = json.loads(body)
            key = headers.get("Idempotency-Key")
            assert key == data["idempotency_key"]
            with self.lock:
                if key in self.payouts:
                    stored = self.payouts[key]
                    return 200, {"status": stored["status"], "reference": stored["ref"]}, 0
                digits = data["account_number"][-2:]
                if digits == "05":
                    return 503, {"error": "busy"}, 0
                status, reason = "paid", ""
                if digits in payouts.FakeBackend.PERMANENT:
                    status, reason = "failed", payouts.FakeBackend.PERMANENT[digits]
                self.payouts[key] = {
                    "status": status,
                    "reason_code": reason,
                    "amount_idr": data["amount_idr"],
                    "ref": f"GW-{len(self.payouts) + 1}",
                    "callback_url": data["callback_url"],
                    "at": timezone.now(),
                }
            if digits == "06":
                return 200, {"status": "paid"}, self.slow_seconds
            if digits == "08":
                return 202, {"status": "pending", "reference": self.payouts[key]["ref"]}, 0
            return (
                200,
                {"status": status, "reason_code": reason, "reference": self.payouts[key]["ref"]},
                0,
            )
        if method == "GET" and url.path.startswith("/v1/payouts/"):
            stored = self.payouts.get(url.path.rsplit("/", 1)[1])
            if stored is None:
                return 404, {"error": "not_found"}, 0
            return 200, {"status": stored["status"], "reason_code": stored["reason_code"]}, 0
        if method == "GET" and url.path == "/v1/reports":
            query = parse_qs(url.query)
            since, until = int(query["from"][0]), int(query["to"][0])
            lines = [
                {"idempotency_key": k, "status": v["status"], "amount_idr": v["amount_idr"]}
                for k, v in self.payouts.items()
                if since <= v["at"].timestamp() < until
            ]
            return 200, {"payouts": lines}, 0
        return 404, {"error": "no route"}, 0

    def deliver_callback(
        self, key: str, *, callback_url: str, callback_id: str | None = None, secret=SECRET, ts=None
    ) -> tuple[int, dict]:
        """POST the signed result of ``key`` to the portal, as the gateway would."""
        stored = self.payouts[key]
        body = json.dumps(
            {
                "idempotency_key": key,
                "status": stored["status"],
                "reason_code": stored["reason_code"],
            }
        ).encode()
        timestamp = str(ts if ts is not None else int(time.time()))
        path = urlparse(callback_url).path
        request = urllib.request.Request(  # noqa: S310
            callback_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Timestamp": timestamp,
                "X-Signature": payouts.sign(
                    secret=secret, timestamp=timestamp, method="POST", path=path, body=body
                ),
                "X-Callback-Id": callback_id or str(uuid.uuid4()),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
