"""The progress report (the hottest endpoint, with its own fast path that authenticates
outside DRF) refuses an access token revoked by a password change or "log out
everywhere", with no extra query on the accepted path."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.learning import progress as learning
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _report(client, lesson, key):
    body = {"event": "intervals", "intervals": [{"from_s": 0, "to_s": 5, "rate": 1.0}]}
    return client.post(
        f"/api/v1/lessons/{lesson.pk}/progress/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def _fast_request(lesson, access, key):
    return RequestFactory().post(
        f"/api/v1/lessons/{lesson.pk}/progress/",
        data=b'{"event":"intervals","intervals":[{"from_s":5,"to_s":9,"rate":1}]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_progress_refuses_a_revoked_access_token(academy, member, rewind):
    tokens = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "learner", "password": PASSWORD}, format="json")
        .json()
    )
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert (
        c.post(
            f"/api/v1/lessons/{academy.video.pk}/progress/", {"event": "open"}, format="json"
        ).status_code
        == 200
    )
    rewind(member, academy.video, 30)
    assert _report(c, academy.video, "before").status_code == 200

    rewind(member, academy.video, 30)
    # the fast path answers the everyday report itself
    with CaptureQueriesContext(connection) as ctx:
        answered = learning._progress_post_fast(
            _fast_request(academy.video, tokens["access"], "fast-ok"), academy.video.pk
        )
    assert answered is not None and answered.status_code == 200
    auth_queries = [q for q in ctx.captured_queries if "organizations_loginstate" in q["sql"]]
    assert len(auth_queries) == 1 and "organizations_member" in auth_queries[0]["sql"]

    member.user.set_password("a-changed-password-5")
    member.user.save()
    rewind(member, academy.video, 30)
    refused = learning._progress_post_fast(
        _fast_request(academy.video, tokens["access"], "fast-no"), academy.video.pk
    )
    assert refused is None  # not accepted: the DRF view answers, with 401
    r = _report(c, academy.video, "after")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_revoked"
