"""Production guards: the demo seeder refuses a DEBUG-off database; with DEBUG off the app
refuses to start with a default secret or on a local stand-in for an outside system (money "paid"
to nobody, OTPs printed to a log) unless the documented staging switch says so; `check --deploy`
is clean with the README's production variables; every absolute address it hands out derives
from PORTAL_URL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from participants.models import User

ROOT = Path(__file__).resolve().parent.parent

# Real gateways (nothing is contacted by `check`).
REAL_GATEWAYS = {
    "PAYOUT_BACKEND": "http",
    "PAYOUT_HTTP_URL": "https://payout.example.id",
    "PAYOUT_HTTP_KEY": "portal",
    "PAYOUT_HTTP_SECRET": "s" * 40,
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example.id/v1/messages",
    "SMS_HTTP_TOKEN": "t" * 32,
    "REGISTRY_BACKEND": "http",
    "REGISTRY_HTTP_URL": "https://registry.example.id",
    "REGISTRY_HTTP_TOKEN": "r" * 32,
}


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.filter(is_superuser=True).exists()


def _production_env(**overrides) -> dict:
    """The environment of a production host: DEBUG off, real keys and gateways, the test
    database; ``overrides`` on top (``None`` removes a variable)."""
    db = connection.settings_dict
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TESTING", "DEBUG", "SECRET_KEY", "ALLOW_FAKE_GATEWAYS")
        and not key.startswith(("DJANGO_", "PAYOUT_", "SMS_", "REGISTRY_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="prod-" + "k" * 60,
        NIK_HASH_KEY="prod-nik-hash-key-0123456789",
        DATA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="prakerja.example.id",
        PORTAL_URL="https://prakerja.example.id",
        DATABASE_URL="postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
            **{k: db[k] or "" for k in ("USER", "PASSWORD", "HOST", "PORT", "NAME")}
        ),
        DJANGO_SETTINGS_MODULE="prakerja.settings",
        **REAL_GATEWAYS,
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return _python("manage.py", *args, env=env)


def _python(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_app_refuses_to_start_with_debug_off_and_the_default_secret():
    result = _manage("check", env=_production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_the_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PAYOUT_BACKEND", "fake"),
        ("SMS_BACKEND", "console"),
        ("SMS_BACKEND", "locmem"),
        ("SMS_BACKEND", "file"),
        ("REGISTRY_BACKEND", "fake"),
    ],
)
def test_check_deploy_refuses_a_stand_in_and_names_the_setting(setting, value):
    result = _manage("check", "--deploy", env=_production_env(**{setting: value}))
    assert result.returncode != 0
    assert f"{setting}={value}" in result.stderr
    assert "ALLOW_FAKE_GATEWAYS" in result.stderr


def test_with_no_gateway_set_check_deploy_names_payout_sms_and_registry():
    unset = dict.fromkeys(REAL_GATEWAYS)
    result = _manage("check", "--deploy", env=_production_env(**unset))
    assert result.returncode != 0
    assert "PAYOUT_BACKEND=fake" in result.stderr
    assert "SMS_BACKEND=console" in result.stderr
    assert "REGISTRY_BACKEND=fake" in result.stderr


def test_the_web_process_and_the_worker_refuse_to_start_on_a_stand_in():
    web = _python("-c", "import prakerja.wsgi", env=_production_env(PAYOUT_BACKEND="fake"))
    assert web.returncode != 0
    assert "PAYOUT_BACKEND=fake" in web.stderr
    worker = _python(
        "-c",
        "from prakerja.celery import app; app.loader.import_default_modules()",
        env=_production_env(SMS_BACKEND="console"),
    )
    assert worker.returncode != 0
    assert "SMS_BACKEND=console" in worker.stderr


def test_the_staging_switch_starts_on_stand_ins_and_check_deploy_still_names_them():
    env = _production_env(**dict.fromkeys(REAL_GATEWAYS), ALLOW_FAKE_GATEWAYS="1")
    started = _python("-c", "import django; django.setup()", env=env)
    assert started.returncode == 0, started.stderr
    warned = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert warned.returncode != 0
    assert "PAYOUT_BACKEND=fake" in warned.stderr
    assert "SMS_BACKEND=console" in warned.stderr


@pytest.mark.parametrize("missing", ["SMS_HTTP_URL", "SMS_HTTP_TOKEN"])
def test_the_http_sms_provider_needs_its_address_and_token(missing):
    result = _manage("check", "--deploy", env=_production_env(**{missing: ""}))
    assert result.returncode != 0
    assert missing in result.stderr


def test_the_payout_callback_address_derives_from_portal_url(settings):
    from incentives import payouts

    settings.PORTAL_URL = "https://prakerja.example.id/"
    assert payouts.callback_url() == "https://prakerja.example.id/api/payouts/v1/callback"
