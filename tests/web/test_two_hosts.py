"""Scale out without local state: two hosts behind HAProxy, each in a network
namespace of its own with its own disk directories, running gunicorn and a Celery worker, sharing
one PostgreSQL and one Redis (the broker).

A participant registers, confirms the email, verifies the phone with an SMS OTP, files a
complaint with a screenshot and buys a training while HAProxy sends each request to the next
host in turn. Anything a host kept for itself (a session, an uploaded file, an OTP, a rate-limit
counter) would break the walk on the other host. The emails (the confirmation link, the
complaint's ticket) are sent by whichever host's worker takes the task from the shared queue;
the link works on any host.

Needs root, ``ip`` (iproute2) and ``haproxy`` (Debian package, installed by .ci/run); skipped
with the reason when network namespaces cannot be created. Run alone with::

    make test PYTEST_ARGS="tests/web/test_two_hosts.py -v"
"""

import base64
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from participants import services as participant_services
from participants.cards import deadlines
from participants.cards import numbers as card_numbers
from participants.models import Participant
from participants.registration import steps
from participants.registration.areas import load_areas
from tests.factories import DEFAULT_PASSWORD, WaveFactory
from tests.participants.conftest import identity_kwargs
from tests.trainings.partner import PartnerClient, make_offering
from trainings import services as training_services

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
TAG = f"{os.getpid() % 10000}"
HOSTS = {"a": "10.96.1", "b": "10.96.2"}  # /30 per host: .1 the root namespace, .2 the host
WEB_PORT, PG_PORT, REDIS_PORT, LB_PORT = 9620, 9622, 9623, 9621
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


def _namespaces_or_skip() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    for tool in ("ip", "haproxy"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (Debian: iproute2, haproxy)")
    probe = f"pkprobe{TAG}"
    try:
        _sh("ip", "netns", "add", probe)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create network namespaces here: {exc.stderr.strip()}")
    _sh("ip", "netns", "delete", probe)


def _filemail(directory: Path) -> str:
    """EMAIL_URL of Django's file backend writing to ``directory`` (absolute): django-environ
    reads the part after ``filemail://`` without its first slash."""
    return f"filemail:///{directory}"


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def two_hosts(tmp_path, settings):
    """Start HAProxy (web balancer + TCP relays to PostgreSQL and Redis), and one gunicorn and
    one Celery worker per namespace; yield the balancer's URL and the hosts' disk directories
    (SMS, and the email sent by the host's worker and, separately, by its web process)."""
    _namespaces_or_skip()
    # Production refuses the development keys; the test process uses the hosts' keys too
    # (partner secrets and NIKs are encrypted with them).
    settings.SECRET_KEY = "two-hosts-" + uuid.uuid4().hex * 2
    settings.NIK_HASH_KEY = "two-hosts-nik-" + uuid.uuid4().hex
    settings.DATA_ENCRYPTION_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    db = settings.DATABASES["default"]
    redis_db = settings.REDIS_URL.rsplit("/", 1)[-1] if settings.REDIS_URL.count("/") > 2 else "0"
    redis_address = settings.REDIS_URL.split("//", 1)[-1].split("@")[-1].split("/")[0]
    processes, namespaces = [], []
    hosts = {}
    env_common = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "prakerja.settings",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "NIK_HASH_KEY": settings.NIK_HASH_KEY,
        "DATA_ENCRYPTION_KEY": settings.DATA_ENCRYPTION_KEY,
        # 127.0.0.1: through the balancer; the hosts' own addresses: its health checks.
        "ALLOWED_HOSTS": ",".join(["127.0.0.1", *(f"{net}.2" for net in HOSTS.values())]),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        # Both hosts write SMS to files the test reads: a staging setup (prakerja/gateways.py).
        "SMS_BACKEND": "file",
        "ALLOW_FAKE_GATEWAYS": "1",
        "LOG_LEVEL": "WARNING",
        "MEDIA_STORAGE": os.environ.get("TWO_HOSTS_MEDIA_STORAGE", "database"),
        "PORTAL_URL": f"http://127.0.0.1:{LB_PORT}",
    }
    haproxy_cfg = tmp_path / "haproxy.cfg"
    relays = "".join(
        f"listen pg_{name}\n  mode tcp\n  bind {net}.1:{PG_PORT}\n"
        f"  server pg {db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}\n"
        f"listen redis_{name}\n  mode tcp\n  bind {net}.1:{REDIS_PORT}\n"
        f"  server redis {redis_address}\n"
        for name, net in HOSTS.items()
    )
    servers = "".join(
        f"  server host_{name} {net}.2:{WEB_PORT} check inter 1s\n" for name, net in HOSTS.items()
    )
    try:
        for name, net in HOSTS.items():
            ns, veth = f"pkweb{name}{TAG}", f"vpk{name}{TAG}"
            _sh("ip", "netns", "add", ns)
            namespaces.append(ns)
            _sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            _sh("ip", "addr", "add", f"{net}.1/30", "dev", veth)
            _sh("ip", "link", "set", veth, "up")
            _sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{net}.2/30", "dev", "eth0")
            _sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            _sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        haproxy_cfg.write_text(
            "global\n  maxconn 512\n"
            "defaults\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n"
            f"frontend web\n  mode http\n  bind 127.0.0.1:{LB_PORT}\n  default_backend hosts\n"
            "backend hosts\n  mode http\n  balance roundrobin\n"
            "  http-response set-header X-Served-By %s\n"
            f"  option httpchk GET /healthz\n{servers}{relays}"
        )
        # DEBUG off serves hashed static names from the manifest: collect once, as a deploy does.
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "collectstatic", "--noinput"],
            cwd=ROOT,
            env={**env_common, "DATABASE_URL": os.environ.get("DATABASE_URL", "")},
            check=True,
            capture_output=True,
        )
        processes.append(subprocess.Popen(["haproxy", "-f", str(haproxy_cfg)]))
        for name, net in HOSTS.items():
            disk = tmp_path / f"host_{name}"
            (disk / "media").mkdir(parents=True)
            (disk / "mail").mkdir()
            (disk / "web-mail").mkdir()
            env = {
                **env_common,
                "DATABASE_URL": (
                    f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{net}.1:{PG_PORT}/"
                    f"{db['NAME']}"
                ),
                "REDIS_URL": f"redis://{net}.1:{REDIS_PORT}/{redis_db}",
                "MEDIA_ROOT": str(disk / "media"),
                "SMS_FILE_PATH": str(disk / "sms.jsonl"),
                # Emails are sent by Celery tasks: a web process that sent one itself would
                # write it to web-mail instead.
                "EMAIL_URL": _filemail(disk / "web-mail"),
                "BROKER_DIR": str(disk / "broker"),
            }
            ns = f"pkweb{name}{TAG}"
            log = (disk / "web.log").open("w")
            command = ["ip", "netns", "exec", ns, str(ROOT / ".venv" / "bin" / "gunicorn"),
                       "prakerja.wsgi:application", "--bind", f"{net}.2:{WEB_PORT}",
                       "--workers", "2", "--log-level", "warning"]  # fmt: skip
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
            # The host's worker: the same queue on the shared Redis, the same database.
            worker = ["ip", "netns", "exec", ns, str(ROOT / ".venv" / "bin" / "celery"),
                      "-A", "prakerja", "worker", "--pool", "solo", "-n", f"host_{name}@%h",
                      "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                      "--without-heartbeat"]  # fmt: skip
            processes.append(
                subprocess.Popen(
                    worker,
                    cwd=ROOT,
                    env={**env, "EMAIL_URL": _filemail(disk / "mail")},
                    stdout=(disk / "worker.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
            hosts[name] = disk
        base = f"http://127.0.0.1:{LB_PORT}"
        _wait(f"{base}/healthz")
        time.sleep(2.5)  # both health checks green, so round robin alternates
        yield base, hosts
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for ns in namespaces:
            subprocess.run(["ip", "netns", "delete", ns], check=False, capture_output=True)


class Browser:
    """A person's browser: one cookie jar, and a record of which host served each request."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.served_by: list[str] = []

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        response = self.http.request(method, self.base + path, **kwargs)
        self.served_by.append(response.headers.get("X-Served-By", "?"))
        assert response.status_code < 500, f"{method} {path}: {response.status_code}"
        return response

    def form(self, path: str, data: dict, files=None) -> requests.Response:
        page = self.request("GET", path)
        assert page.status_code == 200, f"GET {path}: {page.status_code}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.request("POST", path, data={"csrfmiddlewaretoken": token, **data}, files=files)


def _last_otp(hosts: dict, phone: str) -> str:
    codes = []
    for disk in hosts.values():
        sms_file = disk / "sms.jsonl"
        if sms_file.exists():
            for line in sms_file.read_text().splitlines():
                message = json.loads(line)
                code = re.search(r"\b(\d{6})\b", message["text"])
                if message["to"] == phone and code:
                    codes.append((message["sent_at"], code.group(1)))
    assert codes, f"no OTP SMS to {phone}"
    return max(codes)[1]


def _emails_to(
    hosts: dict, address: str, *, containing: str = "", folder: str = "mail", timeout: float = 60
) -> dict:
    """The emails to ``address`` (containing ``containing``) that the hosts wrote to ``folder``,
    by host, waiting up to ``timeout`` seconds for one (a worker takes a moment to start)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {}
        for name, disk in hosts.items():
            for path in sorted((disk / folder).glob("*")):
                text = path.read_text(errors="replace")
                if f"To: {address}" in text and containing in text:
                    found.setdefault(name, []).append(text)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_a_participant_walks_through_the_portal_across_two_hosts(two_hosts):
    base, hosts = two_hosts
    load_areas(provinces=["32"])
    browser = Browser(base)
    email = f"dua-host-{uuid.uuid4().hex[:8]}@contoh.id"

    # Registration: the form from one host, the POST to the other (CSRF and session shared).
    response = browser.form(
        "/daftar/",
        {
            "full_name": "Sari Dua Host",
            "email": email,
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
        },
    )
    assert response.status_code == 302, response.text[:500]
    # The confirmation email is sent by a worker, on whichever host took the task; the link it
    # carries works on any host.
    emails = _emails_to(hosts, email)
    assert emails, "no worker sent the confirmation email"
    text = next(iter(emails.values()))[0]
    path = re.search(r"http://127\.0\.0\.1:\d+(/verifikasi-email/\S+/)", text).group(1)
    response = browser.request("GET", path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profil/identitas/")

    # Identity (its rules have their own tests): through the service, as the page would.
    participant = Participant.objects.get(user__email=email)
    steps.submit_identity(participant=participant, **identity_kwargs())

    # Phone OTP: requested on one host, the code typed on the other.
    phone = "+6281277770001"
    response = browser.form("/profil/nomor-hp/", {"phone": "081277770001"})
    assert response.status_code == 302, response.text[:500]
    response = browser.form("/profil/nomor-hp/verifikasi/", {"code": _last_otp(hosts, phone)})
    assert response.status_code == 302, response.text[:500]
    participant.refresh_from_db()
    assert participant.phone_verified_at is not None

    # A complaint with a screenshot: uploaded to one host, shown by both.
    response = browser.form(
        "/pengaduan/",
        {
            "name": "Sari Dua Host",
            "phone": "081277770001",
            "email": email,
            "topic": "lainnya:",
            "description": "Halaman dasbor tidak memuat saldo saya sejak kemarin sore.",
            "consent": "on",
        },
        files={"screenshot": ("layar.png", PNG, "image/png")},
    )
    assert response.status_code == 302, response.text[:800]
    from complaints.models import Complaint

    complaint = Complaint.objects.get(email=email)
    assert _emails_to(hosts, email, containing=complaint.ticket_number), (
        "no worker sent the complaint's ticket email"
    )
    for _ in range(2):
        shot = browser.request("GET", f"/pengaduan/tiket/{complaint.ticket_number}/lampiran/")
        assert shot.status_code == 200
        assert shot.content == PNG

    # A purchase: the card is made active here (selection and orientation have their own
    # tests); the platform starts the payment on one host and confirms it on the other.
    now = timezone.now()
    wave = WaveFactory(
        opens_at=now - timezone.timedelta(days=10),
        closes_at=now - timezone.timedelta(days=3),
        announces_at=now - timezone.timedelta(days=1),
    )
    # Applicant -> selected -> active: the only path the transition table (and its PostgreSQL
    # trigger) allows.
    Participant.objects.filter(pk=participant.pk).update(status=Participant.Status.SELECTED)
    Participant.objects.filter(pk=participant.pk).update(
        status=Participant.Status.ACTIVE,
        wave=wave,
        selected_at=wave.announces_at,
        oriented_at=now,
        card_number=card_numbers.new_card_number(),
        first_purchase_deadline=deadlines.first_purchase_deadline(wave.announces_at),
    )
    participant.refresh_from_db()
    participant_services.grant_balance(participant=participant, now=wave.announces_at)
    offering = make_offering(price_idr=250_000)
    key, secret = training_services.issue_partner_key(platform=offering.platform)
    partner = PartnerClient(base, key, secret)
    started = partner.post(
        "/payments",
        {
            "card_number": participant.card_number,
            "offering_code": offering.code,
            "partner_order_id": uuid.uuid4().hex,
        },
    )
    assert started.status_code == 201, started.text
    confirmed = partner.post(
        f"/payments/{started.json()['payment_id']}/confirm", {"otp": _last_otp(hosts, phone)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "paid"
    mine = browser.request("GET", "/pelatihan-saya/")
    assert mine.status_code == 200
    assert confirmed.json()["voucher_code"] in mine.text

    # Both hosts served the walk, in turn; the emails came from the workers, none from a web
    # process.
    served = [host for host in browser.served_by if host != "?"]
    assert {"host_a", "host_b"} <= set(served), served
    assert not _emails_to(hosts, email, folder="web-mail", timeout=0)
