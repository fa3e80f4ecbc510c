import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_each_service(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert set(body["checks"]) == {"database", "cache", "storage", "search", "tasks"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["vendor"] == connection.vendor


def test_healthz_is_503_when_database_is_down(client, monkeypatch):
    from api import health

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "_database", broken)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "down"
    assert "connection refused" in r.json()["checks"]["database"]["error"]


@pytest.mark.django_db(transaction=False)
def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "/api/v1/me/" in out.read_text()


def test_swagger_ui_served(client):
    assert client.get("/api/docs/").status_code == 200
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/auth/token/" in json.loads(schema.content)["paths"]


def test_api_docs_load_everything_from_this_site_under_the_csp(client):
    """Swagger UI, its stylesheet and start-up script come from this site (no CDN: the
    page must work offline), and the page has the site's Content-Security-Policy.
    (tests/e2e/test_api_docs.py renders it in Chromium with the network off.)"""
    import re

    page = client.get("/api/docs/")
    html = page.content.decode()
    assert "<script>" not in html  # no inline script: the start-up script is a URL
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 4 and all(a.startswith("/") for a in assets), assets
    from django.contrib.staticfiles import finders

    for asset in assets:
        if asset.startswith(settings.STATIC_URL):  # a static file we ship
            found = finders.find(asset.removeprefix(settings.STATIC_URL))
            assert found and Path(found).stat().st_size > 500, asset
        else:
            assert asset.startswith("/api/docs/?script"), asset
    policy = page["Content-Security-Policy"]
    assert "script-src 'self';" in policy + ";" and "connect-src 'self'" in policy
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content and b'"validatorUrl": null' in script.content


def test_check_deploy_is_clean_in_production_profile():
    from cryptography.fernet import Fernet

    # A production environment: nothing the test run itself sets (the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE would be reported as async.E001, rightly) leaks into it.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "k" * 20 + "Zq9!x#Lm2@Vb7$Np4%Rt6^Wy8&Hs3*Jd5(Fg1)",
        "DJANGO_ALLOWED_HOSTS": "ehome.example.org",
        # member records: the field encryption key (docs/operations.md "Member record keys")
        "EHOME_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update({"DJANGO_ENV": "production", "DJANGO_ALLOWED_HOSTS": "x.org"})
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY" in proc.stderr


def test_the_wsgi_app_loads_its_views_and_freezes_them_for_the_collector():
    """A gunicorn worker imports config.wsgi: every view module is loaded up front and the
    loaded objects are frozen, so no request pays for a full garbage collection over them
    (docs/operations.md)."""
    code = (
        "import gc, sys, config.wsgi; "
        "print(gc.get_freeze_count(), 'api.learning' in sys.modules, 'portal.urls' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    frozen, views, portal = proc.stdout.split()
    assert int(frozen) > 10_000 and views == "True" and portal == "True"
