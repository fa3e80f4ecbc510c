"""Portal shell: login, the layout every page shares, the language switch."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_is_labelled_and_logs_in(client, member_b1):
    page = client.get("/accounts/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert 'lang="zh-Hans"' in html
    response = client.post(
        "/accounts/login/", {"username": "m_b1", "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert member_b1.name in home.content.decode()


def test_wrong_password_shows_an_error_in_chinese(client, member_b1):
    response = client.post("/accounts/login/", {"username": "m_b1", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_english_switch_translates_the_layout(client, member_b1, web_client):
    c = web_client(member_b1.user)
    assert "首页" in c.get("/").content.decode()
    response = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = c.get("/").content.decode()
    assert 'lang="en"' in html
    assert ">Home<" in html and "Sign out" in html
