"""The launch-day mix for locust (docs/performance.md), run headless by ``scripts/loadtest.py``.

Each step of the load test runs one of these user classes (or a mix) against the portal started
by the script; the data it needs (pre-made sessions, cards, partner credentials) comes from the
JSON file named by ``LOADTEST_DATA``. Users keep no think time: 32 of them are 32 connections
kept busy, the way the floor is measured.

A platform signs its requests exactly as docs/partner-api.md says; OTPs are read from the file the
portal's ``file`` SMS backend writes (``SMS_FILE_PATH``), as a phone would receive them.
"""

import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import time
import uuid
from http.cookiejar import Cookie
from urllib.parse import urlsplit

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ["LOADTEST_DATA"], encoding="utf-8").read())  # noqa: SIM115
PASSWORD = DATA["password"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WAITING = b"Ruang tunggu"

_login_emails = itertools.cycle(DATA["login_emails"])
_sessions = itertools.cycle(DATA["sessions"])
# Each applicant joins once: a later run (the capacity search's next stage) starts further on.
_join_sessions = iter(DATA["join_sessions"][int(os.environ.get("LOADTEST_JOIN_START", "0")) :])
_cards = iter(DATA["cards"])
_started: list[dict] = []
_to_confirm: list[dict] = []


def _csrf(body: bytes) -> str:
    found = CSRF.search(body.decode(errors="replace"))
    return found.group(1) if found else ""


def _set_cookie(user, name: str, value: str) -> None:
    """Put a cookie in the user's jar, as a browser that logged in earlier would hold it. The
    jar keeps the waiting-room cookie too, so each locust user is one visitor."""
    host = urlsplit(user.host).hostname
    cookie = Cookie(0, name, value, None, False, host, False, False, "/", True, False, None,
                    True, None, None, {})  # fmt: skip
    user.client.cookiejar.set_cookie(cookie)


def _forget_session(user) -> None:
    """The next person on this browser: drop the session, keep the waiting-room cookie."""
    for cookie in list(user.client.cookiejar):
        if cookie.name == "sessionid":
            user.client.cookiejar.clear(cookie.domain, cookie.path, cookie.name)


class Portal(FastHttpUser):
    abstract = True
    host = DATA["portal"]
    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 30.0

    def expect(self, response, *statuses: int) -> bool:
        if WAITING in (response.content or b""):
            response.failure("waiting page (not admitted)")
            return False
        if response.status_code in statuses:
            response.success()
            return True
        response.failure(f"status {response.status_code}")
        return False


# --- floors (scripts/floor_app.py) -----------------------------------------------------------


class FloorBare(Portal):
    host = DATA["floor"]

    @task
    def bare(self):
        self.client.get("/bare", name="floor: bare Django view")


class FloorOneQuery(Portal):
    host = DATA["floor"]

    @task
    def one_query(self):
        self.client.get("/one-query", name="floor: one-query view")


# --- anonymous pages --------------------------------------------------------------------------


class Home(Portal):
    @task
    def home(self):
        self.client.get("/", name="home page (anonymous)")


class Healthz(Portal):
    @task
    def healthz(self):
        self.client.get("/healthz", name="healthz")


# --- new visitors registering -----------------------------------------------------------------


class Registrant(Portal):
    @task
    def register(self):
        _forget_session(self)
        with self.client.get("/daftar/", name="register: form", catch_response=True) as form:
            if not self.expect(form, 200):
                return
            token = _csrf(form.content)
        email = f"daftar-{uuid.uuid4().hex}@contoh.id"
        with self.client.post(
            "/daftar/",
            data={
                "csrfmiddlewaretoken": token,
                "full_name": "Peserta Beban",
                "email": email,
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
            name="register: submit (account created)",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self.expect(response, 302)


# --- participants logging in and reading their pages ----------------------------------------


class Login(Portal):
    @task
    def login(self):
        _forget_session(self)
        with self.client.get("/masuk/", name="login: form", catch_response=True) as form:
            if not self.expect(form, 200):
                return
            token = _csrf(form.content)
        with self.client.post(
            "/masuk/",
            data={
                "csrfmiddlewaretoken": token,
                "username": next(_login_emails),
                "password": PASSWORD,
            },
            name="login: submit",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self.expect(response, 302)


class Dashboard(Portal):
    def on_start(self):
        _set_cookie(self, "sessionid", next(_sessions))

    @task
    def dashboard(self):
        with self.client.get(
            "/dasbor/", name="dashboard (/dasbor/)", catch_response=True
        ) as response:
            self.expect(response, 200)


class Recommendations(Portal):
    def on_start(self):
        _set_cookie(self, "sessionid", next(_sessions))

    @task
    def recommendations(self):
        with self.client.get(
            "/pelatihan/",
            name="Rekomendasi Pelatihan (/pelatihan/)",
            catch_response=True,
        ) as response:
            self.expect(response, 200)


class JoinWave(Portal):
    """A logged-in applicant opens the dashboard in the wave's first minutes and presses
    "Gabung"; each user joins once per account, then takes the next account."""

    @task
    def join(self):
        session_key = next(_join_sessions, None)
        if session_key is None:
            raise StopUser()
        csrf_secret = secrets.token_hex(16)  # Django accepts an unmasked 32-character secret
        _set_cookie(self, "sessionid", session_key)
        _set_cookie(self, "csrftoken", csrf_secret)
        with self.client.get(
            "/dasbor/", name="join wave: dashboard", catch_response=True
        ) as response:
            if not self.expect(response, 200):
                return
        with self.client.post(
            f"/gelombang/{DATA['wave']}/gabung/",
            data={"csrfmiddlewaretoken": csrf_secret},
            name="join wave: Gabung",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self.expect(response, 302)


# --- partner platforms ------------------------------------------------------------------------

API = "/api/partner/v1"


def _signed(method: str, path: str, body: bytes) -> dict:
    timestamp = str(int(time.time()))
    message = f"{timestamp}.{method}.{path}.".encode() + body
    signature = hmac.new(DATA["partner"]["secret"].encode(), message, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Partner-Key": DATA["partner"]["key"],
        "X-Timestamp": timestamp,
        "X-Signature": signature,
        "Idempotency-Key": uuid.uuid4().hex,
    }


class PartnerStart(Portal):
    @task
    def start_payment(self):
        card = next(_cards, None)
        if card is None:
            raise StopUser()
        card_number, phone = card
        path = f"{API}/payments"
        body = json.dumps(
            {
                "card_number": card_number,
                "offering_code": DATA["offering"],
                "partner_order_id": uuid.uuid4().hex,
            }
        ).encode()
        with self.client.post(
            path,
            data=body,
            headers=_signed("POST", path, body),
            name="partner: start payment",
            catch_response=True,
        ) as response:
            if self.expect(response, 201):
                _started.append({"payment_id": response.json()["payment_id"], "phone": phone})


class PartnerConfirm(Portal):
    @task
    def confirm(self):
        if not _to_confirm:
            raise StopUser()
        job = _to_confirm.pop()
        path = f"{API}/payments/{job['payment_id']}/confirm"
        body = json.dumps({"otp": job["otp"]}).encode()
        with self.client.post(
            path,
            data=body,
            headers=_signed("POST", path, body),
            name="partner: confirm payment",
            catch_response=True,
        ) as response:
            self.expect(response, 200)


@events.test_start.add_listener
def _load_payments(environment, **kwargs):
    """Before the confirm step: the payments the start step made, with the OTP each phone got."""
    if "PartnerConfirm" not in os.environ.get("LOADTEST_CLASSES", ""):
        return
    codes = {}
    with open(DATA["sms_file"], encoding="utf-8") as sms_file:
        for line in sms_file:
            message = json.loads(line)
            found = re.search(r"\b(\d{6})\b", message["text"])
            if found:
                codes[message["to"]] = found.group(1)
    with open(DATA["payments_file"], encoding="utf-8") as payments:
        for line in payments:
            job = json.loads(line)
            if job["phone"] in codes:
                _to_confirm.append({**job, "otp": codes[job["phone"]]})


@events.test_stop.add_listener
def _save_payments(environment, **kwargs):
    if _started:
        with open(DATA["payments_file"], "a", encoding="utf-8") as payments:
            for job in _started:
                payments.write(json.dumps(job) + "\n")


# --- the peak: five times the waiting room's capacity ------------------------------------------


class Surge(Portal):
    """A person arriving on launch day: register, then read the dashboard. Whoever gets the
    waiting page waits as the page says (it refreshes itself) and asks again."""

    def on_start(self):
        self.waiting_bytes = 0

    def _get(self, path: str, name: str):
        while True:
            with self.client.get(path, name=name, catch_response=True) as response:
                if response.status_code == 200 and WAITING in (response.content or b""):
                    response.request_meta["name"] = "ruang tunggu: waiting page"
                    size = len(response.content)
                    if size >= 5 * 1024:
                        response.failure(f"waiting page of {size} bytes")
                    else:
                        response.success()
                    time.sleep(DATA["refresh"])
                    continue
                if response.status_code == 200:
                    response.success()
                else:
                    response.failure(f"status {response.status_code}")
                return response

    @task
    def arrive(self):
        form = self._get("/daftar/", "admitted: register form")
        if form.status_code != 200:
            return
        with self.client.post(
            "/daftar/",
            data={
                "csrfmiddlewaretoken": _csrf(form.content),
                "full_name": "Peserta Puncak",
                "email": f"puncak-{uuid.uuid4().hex}@contoh.id",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
            name="admitted: register submit",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self.expect(response, 302)
        for _ in range(3):
            self._get("/dasbor/", "admitted: dashboard")
        _forget_session(self)  # the next arrival on this browser is a new person
