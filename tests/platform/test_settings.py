import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from llmasos.env import env_bool, env_int, env_list, env_secret
from tests.conftest import ROOT


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="llmasos.settings_production",
        SECRET_KEY="k" * 20 + "-production-test-key-not-used-anywhere-0123",
        ALLOWED_HOSTS="school.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        timeout=120,
        env={**env, "DJANGO_SETTINGS_MODULE": "llmasos.settings_production"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secrets_can_come_from_files(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_secret("SOME_SECRET") == "from-a-file"
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("SOME_SECRET")


def test_malformed_values_fail_loudly(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("FLAG")
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("COUNT", 1)
    monkeypatch.setenv("COUNT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("COUNT", 5, minimum=1)
    monkeypatch.setenv("COUNT", "24")
    with pytest.raises(ImproperlyConfigured, match="at most 23"):
        env_int("COUNT", 3, minimum=0, maximum=23)
    monkeypatch.setenv("HOSTS", "a.example, b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def _production_get(path: str, **env: str) -> str:
    """Status of a GET through the production settings, with X-Forwarded-Proto: https sent by
    the client itself (as anyone can)."""
    script = (
        "import django; django.setup(); from django.test import Client; "
        f"print(Client().get({path!r}, HTTP_X_FORWARDED_PROTO='https').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "llmasos.settings_production",
            "SECRET_KEY": "p" * 20 + "-production-test-key-not-used-anywhere-0123",
            "ALLOWED_HOSTS": "testserver",
            # /healthz runs `SELECT 1`: on the embedded database, whatever the suite's own is
            # (in the PostgreSQL run that is test_llmasos, which this process does not know).
            "DATABASE_URL": "",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_forged_forwarded_proto_does_not_make_plain_http_secure():
    # Without a proxy that overwrites the header the request is still plain HTTP: redirected.
    assert _production_get("/healthz") == "301"
    # Behind one (TRUSTED_PROXY=1) the header is the proxy's word: served.
    assert _production_get("/healthz", TRUSTED_PROXY="1") == "200"


def test_the_image_trusts_forwarded_headers_only_from_configured_proxies():
    # uvicorn's --forwarded-allow-ips "*" took X-Forwarded-Proto/-For from any client; without
    # the option uvicorn reads FORWARDED_ALLOW_IPS (default 127.0.0.1), which compose sets.
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    compose = (ROOT / "docker" / "compose.yaml").read_text()
    assert "--forwarded-allow-ips" not in dockerfile
    assert '"*"' not in compose and "FORWARDED_ALLOW_IPS" in compose
