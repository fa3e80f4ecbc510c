"""Failed-login limits (api.login_throttle) on every login form and the API, per account
(from any address) and per client address (for any account); the client address comes
from X-Forwarded-For only through the configured trusted proxies (core.client_ip)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, member_in

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
FORMS = ["/admin/login/", "/accounts/login/", "/django-admin/login/"]


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EHOME_LOGIN_LIMIT_ACCOUNT = "3/5m"
    settings.EHOME_LOGIN_LIMIT_ADDRESS = "5/5m"
    settings.EHOME_TRUSTED_PROXY_COUNT = 0


def api_login(username, password, **extra):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, format="json", **extra
    )


def form_login(url, username, password, **extra):
    c = Client()
    r = c.post(url, {"username": username, "password": password}, **extra)
    return r, c


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_rotated_forwarded_for_does_not_escape_the_address_limit(org):
    codes = [
        api_login(
            f"nobody{i}", "wrong", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(7)
    ]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429, 429]


def test_with_a_trusted_proxy_the_client_is_the_address_it_appended(org, settings):
    settings.EHOME_TRUSTED_PROXY_COUNT = 1
    codes = [
        api_login(
            f"nobody{i}",
            "wrong",
            REMOTE_ADDR="10.1.1.1",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.50",  # client-written, then proxy
        ).status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]
    # another client behind the same proxy is not affected
    other = api_login(
        "nobody", "wrong", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.51"
    )
    assert other.status_code == 401


def test_api_throttles_use_the_same_client_address(org, settings):
    """DRF's anonymous-rate throttle (get_ident) ignores a rotated X-Forwarded-For too."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "anon": "2/min"}
    codes = []
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        for i in range(3):
            c = APIClient(REMOTE_ADDR="198.51.100.2", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
            codes.append(c.get("/api/v1/preview/", {"token": "x"}).status_code)
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert codes[-1] == 429


def test_api_login_is_limited_per_account_from_any_address(org):
    member_in(org.a1, username="target")
    codes = [
        api_login("target", f"guess{i}", REMOTE_ADDR=f"203.0.113.{i}").status_code for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    r = api_login("TARGET", PASSWORD, REMOTE_ADDR="203.0.113.99")  # right password, new address
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "throttled"
    assert "登录失败次数过多" in r.json()["error"]["message"]


@pytest.mark.parametrize("url", FORMS)
def test_login_form_is_limited_per_account_from_any_address(org, url):
    member = member_in(org.a1, username="formtarget")
    member.user.is_staff = True
    member.user.is_superuser = True  # may enter every admin
    member.user.save()
    for i in range(3):
        r, _c = form_login(url, "formtarget", f"guess{i}", REMOTE_ADDR=f"203.0.113.{i}")
        assert r.status_code == 200 and "登录失败次数过多" not in r.content.decode()
    r, c = form_login(url, "formtarget", PASSWORD, REMOTE_ADDR="203.0.113.200")
    assert r.status_code == 200  # the form again, with the message
    assert "登录失败次数过多" in r.content.decode()
    assert not _signed_in(c)


@pytest.mark.parametrize("url", FORMS)
def test_login_form_is_limited_per_address_for_any_account(org, url):
    member = member_in(org.a1, username="innocent")
    member.user.is_staff = True
    member.user.is_superuser = True
    member.user.save()
    for i in range(5):
        r, _c = form_login(url, f"sprayed{i}", "Passw0rd!", REMOTE_ADDR="198.51.100.77")
        assert "登录失败次数过多" not in r.content.decode()
    r, c = form_login(url, "innocent", PASSWORD, REMOTE_ADDR="198.51.100.77")
    assert "登录失败次数过多" in r.content.decode()
    assert not _signed_in(c)
    # the same account from another address is fine
    r, c = form_login(url, "innocent", PASSWORD, REMOTE_ADDR="198.51.100.78")
    assert r.status_code == 302 and _signed_in(c)


def test_refresh_endpoint_counts_failures_per_address(org):
    c = APIClient(REMOTE_ADDR="198.51.100.90")
    codes = [
        c.post("/api/v1/auth/token/refresh/", {"refresh": f"bad{i}"}, format="json").status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_a_legit_login_works_after_the_window(org, settings):
    settings.EHOME_LOGIN_LIMIT_ACCOUNT = "2/2s"
    member_in(org.a1, username="patient")
    assert [api_login("patient", "bad").status_code for _ in range(3)] == [401, 401, 429]
    r, c = form_login("/accounts/login/", "patient", PASSWORD)
    assert "登录失败次数过多" in r.content.decode()
    time.sleep(2.1)  # the window has ended
    assert api_login("patient", PASSWORD).status_code == 200
    r, c = form_login("/accounts/login/", "patient", PASSWORD)
    assert r.status_code == 302 and _signed_in(c)
