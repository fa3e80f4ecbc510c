"""No export carries a live formula: a unit, member, course, assignment or question
whose text starts with = + - @ (or a tab / carriage return) is written as text with a
leading single quote in every CSV and Excel file, downloaded through the real views."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.log_actions import log

from core.spreadsheet import spreadsheet_safe, spreadsheet_unescape
from elearning.models import Assignment, Course, Question
from tests.factories import UserFactory, add_unit, member_in, user_with_role

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _norm(text: str) -> str:
    # XML (xlsx) and CSV readers may turn a lone CR into LF; the point is the quote
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _csv_cells(content: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return [cell for row in rows for cell in row]


def _xlsx_cells(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_neutral(content: bytes, kind: str, payloads=PAYLOADS, *, inside=False):
    """Every payload appears as quoted text (alone or, with `inside`, at the start of a
    longer cell); no cell is a formula or starts with a formula character."""
    if kind == "csv":
        texts = _csv_cells(content)
    else:
        cells = _xlsx_cells(content)
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        texts = [c.value for c in cells if isinstance(c.value, str)]
    texts = [_norm(t) for t in texts]
    for text in texts:
        assert not text.startswith(("=", "+", "-", "@", "\t", "\n")), text
    for p in payloads:
        want = "'" + _norm(p)
        assert any(t == want or (inside and t.startswith(want)) for t in texts), (p, texts)


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def hostile(org):
    """Under B: a unit per payload name, each with a member of the same name; a course,
    an assignment note and a question per payload."""
    units = [add_unit(org.b, f"H{i}", p) for i, p in enumerate(PAYLOADS)]
    members = [member_in(u, name=p) for u, p in zip(units, PAYLOADS, strict=True)]
    courses = [
        Course.objects.create(title=p, audience_unit=org.root, is_published=True) for p in PAYLOADS
    ]
    assignments = [
        Assignment.objects.create(
            course=c, audience_unit=org.root, due_date=dt.date(2030, 1, 1), note=p
        )
        for c, p in zip(courses, PAYLOADS, strict=True)
    ]
    for p in PAYLOADS:
        Question.objects.create(
            type="single",
            stem=p,
            options=[{"key": "A", "text": p}, {"key": "B", "text": "-1"}],
            answer=["A"],
            explanation=p,
            category=p,
            owner_unit=org.root,
        )
    return type("Hostile", (), {"units": units, "members": members, "assignment": assignments[0]})


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(UserFactory(username="root_admin", is_staff=True, is_superuser=True))
    return client


def test_the_helper_keeps_numbers_and_dates_and_quotes_formula_text():
    for value in (-3, -2.5, Decimal("-1.20"), 0, dt.date(2026, 1, 1), True, None):
        assert spreadsheet_safe(value) is value
    for p in PAYLOADS:
        assert spreadsheet_safe(p) == "'" + p
        assert spreadsheet_unescape(spreadsheet_safe(p)) == p
    assert spreadsheet_safe("-3") == "'-3"  # text, not a number
    assert spreadsheet_safe("张三 =1") == "张三 =1"
    assert spreadsheet_unescape("'abc") == "'abc"  # only our own escape is undone


ADMIN_LISTINGS = [
    "org_units:index",
    "org_members:index",
    "elearning_courses:index",
    "elearning_assignments:index",
    "elearning_questions:index",
]


def test_admin_listing_exports(hostile, admin_client):
    for index in ADMIN_LISTINGS:
        for fmt in ("csv", "xlsx"):
            content = _body(admin_client.get(reverse(index), {"export": fmt}))
            assert_neutral(content, fmt)


def test_question_bank_excel_export_and_its_reimport(hostile, admin_client):
    from elearning.exams.question_io import parse_excel

    content = _body(admin_client.get(reverse("elearning_question_export")))
    assert_neutral(content, "xlsx")
    cells = [c.value for c in _xlsx_cells(content)]
    assert "'-1" in cells  # an option "-1" is text in the bank, so it is quoted too
    # the bank's own import reads its export back as it was typed
    drafts = parse_excel(content)
    assert {d.stem for d in drafts} >= {'=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)"}
    assert any(o["text"] == "-1" for d in drafts for o in d.options)


def test_wagtail_site_history_report_export(hostile, admin_client):
    """Wagtail's own reports use the same export code: covered by the same guard."""
    for unit in hostile.units:
        log(instance=unit, action="wagtail.edit")
    for fmt in ("csv", "xlsx"):
        content = _body(
            admin_client.get(reverse("wagtailadmin_reports:site_history"), {"export": fmt})
        )
        assert_neutral(content, fmt)


def test_completion_report_api_export(org, hostile, client_for):
    client = client_for(user_with_role(org.root, "secretary"))
    url = f"/api/v1/reports/completion/?assignment={hostile.assignment.pk}&unit={org.b.pk}"
    for fmt in ("csv", "xlsx"):
        # the rows are the payload units; the xlsx title row starts with the course title
        assert_neutral(_body(client.get(f"{url}&export={fmt}")), fmt)
    numbers = [
        c for c in _xlsx_cells(client.get(url + "&export=xlsx").content) if type(c.value) is int
    ]
    assert numbers and all(c.data_type == "n" for c in numbers)  # counts stay numbers


def test_portal_dashboard_excel_exports(org, hostile):
    client = Client()
    client.force_login(user_with_role(org.b, "secretary", username="sec_b"))
    a = hostile.assignment.pk
    report = _body(client.get(f"/dashboard/export.xlsx?assignment={a}&unit={org.b.pk}"))
    assert_neutral(report, "xlsx", inside=True)
    members = _body(client.get(f"/dashboard/members.xlsx?assignment={a}&unit={org.b.pk}"))
    assert_neutral(members, "xlsx", inside=True)
