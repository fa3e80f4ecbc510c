"""The per-process memory of validated access tokens (api.authentication): a remembered
token saves only the signature check — a forged or expired token is still refused, and
every revocation (log out everywhere, deactivation, a move to another unit) takes effect
on the very next request with a token the process has already seen."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from api import authentication
from tests.factories import member_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_memory():
    authentication._VALIDATED.clear()
    yield
    authentication._VALIDATED.clear()


def client_with(token) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return c


def test_a_seen_token_is_remembered_and_still_answers(org):
    token = str(AccessToken.for_user(member_in(org.a1).user))
    c = client_with(token)
    assert c.get("/api/v1/me/").status_code == 200
    assert token.encode() in authentication._VALIDATED
    assert c.get("/api/v1/me/").status_code == 200


def test_a_forged_signature_is_refused_after_the_real_token_was_seen(org):
    token = str(AccessToken.for_user(member_in(org.a1).user))
    assert client_with(token).get("/api/v1/me/").status_code == 200
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-2]}{'AA' if not sig.endswith('AA') else 'BB'}"
    assert client_with(forged).get("/api/v1/me/").status_code == 401
    # another user's claims under the first token's signature: refused too
    other = str(AccessToken.for_user(member_in(org.b1).user)).split(".")[1]
    assert client_with(f"{head}.{other}.{sig}").get("/api/v1/me/").status_code == 401


def test_a_remembered_token_is_refused_once_it_expires(org):
    token = AccessToken.for_user(member_in(org.a1).user)
    token.set_exp(lifetime=dt.timedelta(seconds=2))
    c = client_with(token)
    assert c.get("/api/v1/me/").status_code == 200
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.1)
    refused = c.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_not_valid"


def test_log_out_everywhere_ends_a_remembered_token(org):
    from organizations.logins import user_logins_revoke

    member = member_in(org.a1)
    c = client_with(AccessToken.for_user(member.user))
    assert c.get("/api/v1/me/").status_code == 200
    user_logins_revoke(user=member.user)
    refused = c.get("/api/v1/me/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"


def test_deactivation_ends_a_remembered_token(org):
    member = member_in(org.a1)
    c = client_with(AccessToken.for_user(member.user))
    assert c.get("/api/v1/me/").status_code == 200
    member.user.is_active = False
    member.user.save()
    assert c.get("/api/v1/me/").status_code == 401


def test_a_move_to_another_unit_shows_on_the_next_request(org):
    from elearning.models import Course, Lesson

    course = Course.objects.create(title="B 的课", audience_unit=org.b, is_published=True)
    lesson = Lesson.objects.create(course=course, title="图文", kind="article")
    member = member_in(org.a1)
    c = client_with(AccessToken.for_user(member.user))
    url = f"/api/v1/lessons/{lesson.pk}/progress/"
    assert c.post(url, {"event": "open"}, format="json").status_code == 404
    member.unit = org.b1
    member.save()
    assert c.post(url, {"event": "open"}, format="json").status_code == 200


def test_the_memory_is_bounded(org, monkeypatch):
    monkeypatch.setattr(authentication, "VALIDATED_MAX", 3)
    users = [member_in(org.a1).user for _ in range(5)]
    for user in users:
        assert client_with(AccessToken.for_user(user)).get("/api/v1/me/").status_code == 200
        assert len(authentication._VALIDATED) <= 3
