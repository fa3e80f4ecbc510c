"""Ending logins (organizations.logins): a password change, "log out everywhere" and
deactivation end earlier API tokens — access and refresh — and web sessions; logout with
a refresh token ends only that login; a reused refresh token gets a clear message."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from organizations.services import unit_role_grant
from tests.factories import PASSWORD, member_in


def user_with_role(unit, role, username):
    user = member_in(unit, username=username).user
    unit_role_grant(user=user, unit=unit, role=role)  # with admin access
    return user


pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(username, password=PASSWORD) -> dict:
    r = APIClient().post(TOKEN, {"username": username, "password": password}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def me_status(access: str) -> int:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return c.get(ME).status_code


def refresh_with(refresh: str):
    return APIClient().post(REFRESH, {"refresh": refresh}, format="json")


def web_session(user) -> Client:
    c = Client()
    c.force_login(user)
    assert c.get("/accounts/password_change/").status_code == 200
    return c


def test_password_change_ends_old_access_and_refresh_tokens(org):
    member = member_in(org.a1, username="pw_changer")
    old = login("pw_changer")
    assert me_status(old["access"]) == 200
    user = get_user_model().objects.get(pk=member.user_id)
    user.set_password("a-new-password-42")
    user.save()
    assert me_status(old["access"]) == 401
    r = refresh_with(old["refresh"])
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_revoked"
    assert "重新登录" in r.json()["error"]["message"]
    new = login("pw_changer", "a-new-password-42")
    assert me_status(new["access"]) == 200
    assert refresh_with(new["refresh"]).status_code == 200


def test_password_change_through_the_portal_form_ends_tokens(org):
    member = member_in(org.a1, username="pw_form")
    old = login("pw_form")
    c = Client()
    c.force_login(member.user)
    r = c.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-9931",
            "new_password2": "Another-pass-9931",
        },
    )
    assert r.status_code == 302, r.content[:500]
    assert me_status(old["access"]) == 401
    assert refresh_with(old["refresh"]).status_code == 401
    # Django keeps the session that changed the password signed in
    assert c.get("/accounts/password_change/").status_code == 200


def test_hasher_upgrade_at_login_is_not_a_password_change(org, settings):
    """Django re-hashes a password at login when the hasher changed; that is not a
    password change and must not log the user out."""
    member = member_in(org.a1, username="rehash")
    first = login("rehash")
    user = get_user_model().objects.get(pk=member.user_id)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert user.check_password(PASSWORD)  # saves a new hash: Django's upgrade path
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha1$")
    assert me_status(first["access"]) == 200


def test_logout_all_ends_every_token_and_web_session(org):
    member = member_in(org.a1, username="everywhere")
    phone, tablet = login("everywhere"), login("everywhere")
    browser = web_session(member.user)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {phone['access']}")
    assert c.post(LOGOUT, {"all": True}, format="json").status_code == 204
    for tokens in (phone, tablet):
        assert me_status(tokens["access"]) == 401
        assert refresh_with(tokens["refresh"]).status_code == 401
    assert browser.get("/accounts/password_change/").status_code == 302  # back to the login page
    assert me_status(login("everywhere")["access"]) == 200  # a new login works


def test_logout_all_with_only_a_refresh_token(org):
    member_in(org.a1, username="no_access")
    tokens = login("no_access")
    r = APIClient().post(LOGOUT, {"refresh": tokens["refresh"], "all": True}, format="json")
    assert r.status_code == 204
    assert me_status(tokens["access"]) == 401


def test_logout_with_a_refresh_token_ends_only_that_login(org):
    member_in(org.a1, username="two_phones")
    phone, tablet = login("two_phones"), login("two_phones")
    rotated = refresh_with(phone["refresh"]).json()  # the phone's chain moved on once
    r = APIClient().post(LOGOUT, {"refresh": rotated["refresh"]}, format="json")
    assert r.status_code == 204
    assert refresh_with(rotated["refresh"]).status_code == 401
    assert refresh_with(phone["refresh"]).status_code == 401  # earlier in the same chain
    # the other login is untouched
    assert me_status(tablet["access"]) == 200
    assert refresh_with(tablet["refresh"]).status_code == 200
    # repeating the logout is harmless
    again = APIClient().post(LOGOUT, {"refresh": rotated["refresh"]}, format="json")
    assert again.status_code == 204


def test_logout_bad_input_is_a_clear_4xx(org):
    member_in(org.a1, username="bad_logout")
    tokens = login("bad_logout")
    c = APIClient()
    r = c.post(LOGOUT, {}, format="json")
    assert r.status_code == 400 and "refresh" in r.json()["error"]["fields"]
    r = c.post(LOGOUT, {"refresh": "not-a-token"}, format="json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_not_valid"
    r = c.post(LOGOUT, {"refresh": tokens["access"]}, format="json")  # wrong token type
    assert r.status_code == 401
    assert c.post(LOGOUT, {"all": True}, format="json").status_code == 401
    other = member_in(org.a1, username="someone_else")
    c.force_authenticate(other.user)
    r = c.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401  # not the caller's token: nothing revoked
    assert refresh_with(tokens["refresh"]).status_code == 200


def test_reused_refresh_token_message_is_clear(org):
    member_in(org.a1, username="reuser")
    tokens = login("reuser")
    assert refresh_with(tokens["refresh"]).status_code == 200
    r = refresh_with(tokens["refresh"])
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == "token_not_valid"
    assert "ErrorDetail" not in error["message"] and "{" not in error["message"]
    assert "失效" in error["message"]
    garbage = refresh_with("garbage").json()["error"]["message"]
    assert "ErrorDetail" not in garbage and "令牌" in garbage
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    message = c.get(ME).json()["error"]["message"]
    assert "ErrorDetail" not in message and "令牌" in message


def test_deactivation_ends_web_sessions_and_tokens(org):
    member = member_in(org.a1, username="leaver")
    tokens = login("leaver")
    staff = user_with_role(org.a, "secretary", "leaving_secretary")
    browser = web_session(staff)
    user = get_user_model().objects.get(pk=member.user_id)
    user.is_active = False
    user.save()
    assert me_status(tokens["access"]) == 401
    staff.is_active = False
    staff.save()
    assert browser.get("/accounts/password_change/").status_code == 302


def test_conditional_get_with_a_revoked_token_is_401_not_304(org):
    member = member_in(org.a1, username="etagger")
    tokens = login("etagger")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    first = c.get("/api/v1/news/")
    assert first.status_code == 200 and first["ETag"]
    assert c.get("/api/v1/news/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    user = get_user_model().objects.get(pk=member.user_id)
    user.set_password("changed-password-77")
    user.save()
    assert c.get("/api/v1/news/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 401


# --- the admin's 退出所有登录 ---------------------------------------------------------------
def test_org_admin_logs_out_a_member_in_scope_only(org):
    secretary = user_with_role(org.a, "secretary", "sec_a")
    inside = member_in(org.a1, username="inside_a")
    outside = member_in(org.b1, username="outside_b")
    inside_tokens, outside_tokens = login("inside_a"), login("outside_b")
    admin = Client()
    admin.force_login(secretary)
    url = f"/admin/logins/member/{inside.pk}/end-all/"
    assert admin.get(url).status_code == 200
    edit = admin.get(f"/admin/org_members/edit/{inside.pk}/")
    assert url in edit.content.decode()  # the button on the member's edit page
    assert admin.post(url).status_code == 302
    assert me_status(inside_tokens["access"]) == 401
    out_url = f"/admin/logins/member/{outside.pk}/end-all/"
    assert admin.get(out_url).status_code == 404
    assert admin.post(out_url).status_code == 404
    assert me_status(outside_tokens["access"]) == 200


def test_wagtail_user_admin_logs_out_a_user(org):
    root = get_user_model().objects.create_superuser("root_admin", password=PASSWORD)
    member = member_in(org.b1, username="any_member")
    tokens = login("any_member")
    browser = web_session(user_with_role(org.b, "editor", "editor_b"))
    admin = Client()
    admin.force_login(root)
    listing = admin.get("/admin/users/")
    assert f"/admin/logins/user/{member.user_id}/end-all/" in listing.content.decode()
    assert admin.post(f"/admin/logins/user/{member.user_id}/end-all/").status_code == 302
    assert me_status(tokens["access"]) == 401
    editor = get_user_model().objects.get(username="editor_b")
    assert admin.post(f"/admin/logins/user/{editor.pk}/end-all/").status_code == 302
    assert browser.get("/accounts/password_change/").status_code == 302
    # someone without the users admin gets nothing
    secretary = Client()
    secretary.force_login(user_with_role(org.a, "secretary", "sec_no_users"))
    assert secretary.post(f"/admin/logins/user/{root.pk}/end-all/").status_code == 404
