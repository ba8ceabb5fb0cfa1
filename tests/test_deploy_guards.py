"""Production guards (issue 12): the demo seeder refuses a DEBUG-off database, the app refuses
to start with DEBUG off and a default secret, and `check --deploy` is clean with the README's
production variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from participants.models import User

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.filter(is_superuser=True).exists()


def _production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "TESTING",
            "DEBUG",
            "SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="prod-" + "k" * 60,
        NIK_HASH_KEY="prod-nik-hash-key-0123456789",
        DATA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="prakerja.example.id",
        DJANGO_SETTINGS_MODULE="prakerja.settings",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
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
