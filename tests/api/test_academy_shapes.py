"""The academy's answers carry the fields the published schema documents, no more and
none missing: the shapes are declared once (elearning's representations) and the schema
is derived from those declarations, so an app generated from /api/schema/ reads every
field it expects and meets nothing the schema does not announce."""

from __future__ import annotations

import json

import pytest

from tests.elearning.conftest import academy, member, rewind  # noqa: F401 - fixtures
from tests.elearning.test_contests_points import contest  # noqa: F401 - fixture
from tests.factories import user_with_role

# ruff: noqa: F811 - the imported fixtures are used as parameters

pytestmark = pytest.mark.django_db


def _documented(schemas: dict, name: str, data: dict) -> None:
    """`data` has every required field of component `name`, only documented fields, and
    the same holds for every object it nests by reference."""
    component = schemas[name]
    fields = set(component["properties"])
    assert set(component.get("required", [])) <= set(data) <= fields, (
        name,
        sorted(set(data) ^ fields),
    )
    for key, spec in component["properties"].items():
        ref = spec.get("$ref") or spec.get("items", {}).get("$ref")
        if ref is None or ref.endswith("Enum") or data.get(key) is None:
            continue
        nested = ref.rsplit("/", 1)[1]
        for item in data[key] if spec.get("type") == "array" else [data[key]]:
            _documented(schemas, nested, item)


def test_academy_answers_have_the_documented_fields(
    org, academy, member, contest, client_for, rewind, client
):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schemas = json.loads(schema.content)["components"]["schemas"]
    c = client_for(member.user)

    _documented(schemas, "CoursePage", c.get("/api/v1/courses/").json())
    detail = c.get(f"/api/v1/courses/{academy.course.pk}/").json()
    _documented(schemas, "CourseDetail", detail)
    assert len(detail["lessons"]) == 3
    assignments = c.get("/api/v1/assignments/").json()
    _documented(schemas, "AssignmentList", assignments)
    assert assignments["count"] == 1

    url = f"/api/v1/lessons/{academy.video.pk}/progress/"
    _documented(schemas, "ProgressOut", c.post(url, {"event": "open"}, format="json").json())
    rewind(member, academy.video, 30)
    body = {"intervals": [{"from_s": 0, "to_s": 20}]}
    reported = c.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="shape-1")
    assert reported.json()["unique_seconds"] == 20
    _documented(schemas, "ProgressOut", reported.json())

    attempt = c.post(f"/api/v1/exams/{academy.exam.pk}/attempts/").json()
    _documented(schemas, "Attempt", attempt)
    submitted = c.post(
        f"/api/v1/attempts/{attempt['id']}/submit/",
        {"answers": {}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shape-submit",
    ).json()
    _documented(schemas, "Attempt", submitted)
    assert submitted["status"] == "submitted"

    _documented(schemas, "ContestPage", c.get("/api/v1/contests/").json())
    state = c.post(f"/api/v1/contests/{contest.pk}/entries/").json()
    _documented(schemas, "ContestState", state)
    answered = c.post(
        f"/api/v1/contests/{contest.pk}/answers/",
        {"question": state["question"]["id"], "answer": "A"},
        format="json",
    ).json()
    _documented(schemas, "ContestState", answered)
    assert set(answered["last"]) == {"correct", "timed_out", "question"}
    _documented(schemas, "Leaderboard", c.get(f"/api/v1/contests/{contest.pk}/leaderboard/").json())
    _documented(schemas, "Points", c.get("/api/v1/points/").json())

    secretary = client_for(user_with_role(org.root, "secretary"))
    report = secretary.get(
        f"/api/v1/reports/completion/?assignment={academy.assignment.pk}&unit={org.root.pk}"
    ).json()
    _documented(schemas, "CompletionReport", report)
    assert report["rows"] and report["total"]["members"] >= 2
