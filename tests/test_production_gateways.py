"""With DEBUG off the portal refuses to start on a local stand-in for an outside system (money
"paid" to nobody, OTPs printed to a log), unless the documented staging switch says so; and every
absolute address it hands out derives from PORTAL_URL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# A production configuration with real gateways (nothing is contacted by `check`).
REAL = {
    "PAYOUT_BACKEND": "http",
    "PAYOUT_HTTP_URL": "https://payout.example.id",
    "PAYOUT_HTTP_KEY": "portal",
    "PAYOUT_HTTP_SECRET": "s" * 40,
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example.id/v1/messages",
    "SMS_HTTP_TOKEN": "t" * 32,
}


def _run(args: list[str], **settings: str) -> subprocess.CompletedProcess:
    """``python args`` in a fresh process with DEBUG off, production keys and the test database,
    and no gateway settings but ``settings``."""
    db = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("PAYOUT_", "SMS_", "REGISTRY_", "ALLOW_FAKE", "DEBUG", "TESTING", "DJANGO_")
        )
    }
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "a-real-production-secret-key-" + "x" * 40,
            "NIK_HASH_KEY": "n" * 44,
            "DATA_ENCRYPTION_KEY": "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=",
            "ALLOWED_HOSTS": "prakerja.example.id",
            "PORTAL_URL": "https://prakerja.example.id",
            "DATABASE_URL": "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
                **{k: db[k] or "" for k in ("USER", "PASSWORD", "HOST", "PORT", "NAME")}
            ),
            "DJANGO_SETTINGS_MODULE": "prakerja.settings",
            **settings,
        }
    )
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _check_deploy(*extra: str, **settings: str) -> subprocess.CompletedProcess:
    return _run(["manage.py", "check", "--deploy", *extra], **settings)


def test_check_deploy_passes_with_real_gateways():
    result = _check_deploy("--fail-level", "WARNING", **REAL)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PAYOUT_BACKEND", "fake"),
        ("SMS_BACKEND", "console"),
        ("SMS_BACKEND", "locmem"),
        ("SMS_BACKEND", "file"),
    ],
)
def test_check_deploy_refuses_a_stand_in_and_names_the_setting(setting, value):
    result = _check_deploy(**{**REAL, setting: value})
    assert result.returncode != 0
    assert f"{setting}={value}" in result.stderr
    assert "ALLOW_FAKE_GATEWAYS" in result.stderr


def test_with_no_gateway_set_check_deploy_names_payout_and_sms():
    result = _check_deploy()
    assert result.returncode != 0
    assert "PAYOUT_BACKEND=fake" in result.stderr
    assert "SMS_BACKEND=console" in result.stderr


def test_the_web_process_and_the_worker_refuse_to_start_on_a_stand_in():
    web = _run(["-c", "import prakerja.wsgi"], **{**REAL, "PAYOUT_BACKEND": "fake"})
    assert web.returncode != 0
    assert "PAYOUT_BACKEND=fake" in web.stderr
    worker = _run(
        ["-c", "from prakerja.celery import app; app.loader.import_default_modules()"],
        **{**REAL, "SMS_BACKEND": "console"},
    )
    assert worker.returncode != 0
    assert "SMS_BACKEND=console" in worker.stderr


def test_the_staging_switch_starts_on_stand_ins_and_check_deploy_still_names_them():
    started = _run(["-c", "import django; django.setup()"], ALLOW_FAKE_GATEWAYS="1")
    assert started.returncode == 0, started.stderr
    warned = _check_deploy("--fail-level", "WARNING", ALLOW_FAKE_GATEWAYS="1")
    assert warned.returncode != 0
    assert "PAYOUT_BACKEND=fake" in warned.stderr
    assert "SMS_BACKEND=console" in warned.stderr


@pytest.mark.django_db
def test_the_payout_callback_address_derives_from_portal_url(settings):
    from incentives import payouts

    settings.PORTAL_URL = "https://prakerja.example.id/"
    assert payouts.callback_url() == "https://prakerja.example.id/api/payouts/v1/callback"


@pytest.mark.parametrize("missing", ["SMS_HTTP_URL", "SMS_HTTP_TOKEN"])
def test_the_http_sms_provider_needs_its_address_and_token(missing):
    result = _check_deploy(**{**REAL, missing: ""})
    assert result.returncode != 0
    assert missing in result.stderr
