"""Development secrets never serve a real deployment (core.dev_guard): no signing key
in code — each install makes its own on first start and keeps it — and the development
profile refuses to serve a network address unless forced."""

from __future__ import annotations

import datetime as dt
import os
import socket
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import jwt
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
OLD_PUBLIC_DEV_KEY = "dev-insecure-" + "x" * 50  # what settings.py used to ship


def _env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DJANGO_SECRET_KEY", "DJANGO_ENV", "PYTEST_VERSION", "EHOME_ALLOW_DEV_ON_NETWORK"}
        and not k.startswith("PYTEST_")
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env


@pytest.mark.django_db
def test_a_token_signed_with_the_old_public_development_key_is_refused(api_client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("keyholder", password="x-unused-1")
    now = dt.datetime.now(dt.UTC)
    forged = jwt.encode(
        {
            "token_type": "access",
            "exp": now + dt.timedelta(minutes=5),
            "iat": now,
            "jti": uuid.uuid4().hex,
            "user_id": str(admin.pk),
        },
        OLD_PUBLIC_DEV_KEY,
        algorithm="HS256",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert api_client.get("/api/v1/me/").status_code == 401
    assert settings.SECRET_KEY != OLD_PUBLIC_DEV_KEY
    assert settings.SIMPLE_JWT["SIGNING_KEY"] == settings.SECRET_KEY


def test_each_install_gets_its_own_secret_file(tmp_path):
    from core.dev_guard import install_secret_key

    a = install_secret_key(tmp_path / "a")
    b = install_secret_key(tmp_path / "b")
    assert a != b and len(a) >= 50 and len(b) >= 50
    for name in ("a", "b"):
        mode = stat.S_IMODE((tmp_path / name / "secret_key").stat().st_mode)
        assert mode == 0o600
    assert install_secret_key(tmp_path / "a") == a  # kept, not remade
    (tmp_path / "a" / "secret_key").chmod(0o644)  # restored from a careless backup
    assert install_secret_key(tmp_path / "a") == a
    assert stat.S_IMODE((tmp_path / "a" / "secret_key").stat().st_mode) == 0o600


def test_var_is_not_committed():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/secret_key"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0


def _settings_secret(var_dir: Path) -> str:
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(EHOME_VAR_DIR=str(var_dir)),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def test_settings_use_the_install_secret_across_restarts(tmp_path):
    first = _settings_secret(tmp_path / "one")
    assert _settings_secret(tmp_path / "one") == first  # a restart keeps sessions and tokens
    assert (tmp_path / "one" / "secret_key").read_text().strip() == first
    assert _settings_secret(tmp_path / "two") != first
    assert first != OLD_PUBLIC_DEV_KEY


@pytest.mark.parametrize(
    "host,refused",
    [
        ("127.0.0.1", False),
        ("127.8.0.1", False),
        ("::1", False),
        ("localhost", False),
        ("0.0.0.0", True),
        ("0", True),
        ("", True),
        ("::", True),
        ("192.168.1.20", True),
        ("example.org", True),
    ],
)
def test_dev_profile_bind_check(host, refused):
    from core.dev_guard import dev_bind_refusal

    env = {}
    assert (dev_bind_refusal(host, env) is not None) is refused
    assert dev_bind_refusal(host, {"DJANGO_ENV": "production"}) is None
    assert dev_bind_refusal(host, {"EHOME_ALLOW_DEV_ON_NETWORK": "1"}) is None


def test_bind_strings():
    from core.dev_guard import bind_host, is_loopback

    assert bind_host("0.0.0.0:8000") == "0.0.0.0"
    assert bind_host("[::1]:8000") == "::1"
    assert bind_host("unix:/run/ehome.sock") == "localhost"
    assert is_loopback(bind_host("127.0.0.1:9000"))


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_bin_serve_on_all_interfaces_refuses_with_the_dev_profile(tmp_path, server):
    r = subprocess.run(
        [str(ROOT / "bin/serve")],
        cwd=ROOT,
        env=_env(
            EHOME_VAR_DIR=str(tmp_path),
            EHOME_SERVER=server,
            EHOME_BIND_HOST="0.0.0.0",
            EHOME_PORT=str(_free_port()),
            EHOME_VENV=str(Path(sys.executable).parent.parent),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "DJANGO_ENV=production" in r.stderr and "EHOME_ALLOW_DEV_ON_NETWORK" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runserver_on_all_interfaces_refuses_with_the_dev_profile(tmp_path):
    port = _free_port()
    r = subprocess.run(
        [sys.executable, "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"],
        cwd=ROOT,
        env=_env(EHOME_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "DJANGO_ENV=production" in r.stderr and "EHOME_ALLOW_DEV_ON_NETWORK" in r.stderr


def test_gunicorn_on_all_interfaces_refuses_with_the_dev_profile(tmp_path):
    port = _free_port()
    r = subprocess.run(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"0.0.0.0:{port}"],
        cwd=ROOT,
        env=_env(EHOME_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "EHOME_ALLOW_DEV_ON_NETWORK" in r.stderr
