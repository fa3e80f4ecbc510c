import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.tokens import AccessToken

from api.authentication import MemberJWTAuthentication
from organizations.selectors import member_for_user
from tests.factories import PASSWORD, member_in, user_with_role

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"


def login(client, username, password=PASSWORD):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def test_login_returns_tokens_that_open_me(api_client, org):
    m = member_in(org.b1, username="zhang")
    r = login(api_client, "zhang")
    assert r.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.data['access']}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.data["member"]["member_no"] == m.member_no
    assert [u["code"] for u in me.data["unit_ancestors"]] == ["G", "B", "B1"]
    assert me.data["member"]["unit"]["timezone"] == "Africa/Dar_es_Salaam"


def test_me_lists_roles(client_for, org):
    user = user_with_role(org.a, "secretary")
    data = client_for(user).get("/api/v1/me/").data
    assert data["roles"] == [{"role": "secretary", "unit": data["roles"][0]["unit"]}]
    assert data["roles"][0]["unit"]["code"] == "A"


def test_wrong_password_is_401_with_error_body(api_client, org):
    member_in(org.a1, username="li")
    r = login(api_client, "li", "wrong")
    assert r.status_code == 401
    assert r.data["error"]["code"] == "no_active_account"
    assert r.data["error"]["message"]


def test_refresh_rotates_and_blacklists_old_token(api_client, org):
    member_in(org.a1, username="wang")
    tokens = login(api_client, "wang").data
    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert first.data["refresh"] != tokens["refresh"]
    replay = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401
    assert replay.data["error"]["code"] == "token_not_valid"


def test_inactive_user_refused_at_login_refresh_and_use(api_client, org):
    m = member_in(org.a1, username="zhao")
    tokens = login(api_client, "zhao").data
    m.user.is_active = False
    m.user.save()
    assert login(api_client, "zhao").status_code == 401
    assert (
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_deleted_user_refused_at_refresh_without_500(api_client, org):
    m = member_in(org.a1, username="qian")
    tokens = login(api_client, "qian").data
    m.user.delete()
    r = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401


def test_login_brute_force_is_throttled_with_retry_after(api_client, org):
    member_in(org.a1, username="sun")
    codes = [login(api_client, "sun", f"bad{i}").status_code for i in range(8)]
    assert 429 in codes
    r = login(api_client, "sun")  # even the right password waits
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    assert r.data["error"]["code"] == "throttled"


def test_anonymous_me_is_401(api_client):
    r = api_client.get("/api/v1/me/")
    assert r.status_code == 401
    assert set(r.data["error"]) == {"code", "message", "fields"}


def test_bad_body_is_400_naming_the_field(api_client, db):
    r = api_client.post(TOKEN, {"username": "x"}, format="json")
    assert r.status_code == 400
    assert "password" in r.data["error"]["fields"]


def test_url_names_resolve():
    assert reverse("api:me") == "/api/v1/me/"


def test_bearer_token_brings_the_member_and_unit_in_one_query(org):
    """api.authentication: one query loads the user with their member record and unit;
    the views' member look-up then needs none; a user without a member record works."""
    member = member_in(org.b1, "auth_one_query")
    auth = MemberJWTAuthentication()
    request = APIRequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(member.user)}"
    )
    with CaptureQueriesContext(connection) as ctx:
        user, _token = auth.authenticate(request)
        found = member_for_user(user)
        unit_code = found.unit.code
    assert len(ctx.captured_queries) == 1
    assert user.pk == member.user_id and found.pk == member.pk and unit_code == org.b1.code
    assert found.user is user

    staff = get_user_model().objects.create_user("no_member_staff", password=PASSWORD)
    request = APIRequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(staff)}"
    )
    user, _token = auth.authenticate(request)
    assert user.pk == staff.pk and member_for_user(user) is None


def test_token_of_a_deleted_or_deactivated_user_is_refused(api_client, org):
    member = member_in(org.a1, "soon_gone")
    token = str(AccessToken.for_user(member.user))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/me/").status_code == 200
    type(member.user).objects.filter(pk=member.user_id).update(is_active=False)
    assert api_client.get("/api/v1/me/").status_code == 401
    type(member.user).objects.filter(pk=member.user_id).delete()
    assert api_client.get("/api/v1/me/").status_code == 401
