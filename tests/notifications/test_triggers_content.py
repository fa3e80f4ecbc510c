"""Content triggers: the weekly mobile newspaper proposed by the periodic job, reviewed
through the normal workflow and delivered to its audience on publish (cover and
headlines in the notification, once per issue); an item a reviewer approved with
"发布后推送" pushed to its audience when published, and no other item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import PageLogEntry

from cms.models import DigestIssue
from cms.notify import digest_propose_weekly
from cms.services import page_review_run
from notifications.models import Notification
from organizations.models import Member
from tests.cms.conftest import publish_news, staff_with_role
from tests.cms.test_workflow import create_and_submit, current_task_state, login
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def test_weekly_digest_is_proposed_reviewed_and_delivered_on_publish(
    org, site, roles, django_capture_on_commit_callbacks
):
    from wagtail.images.models import Image

    cover = Image.objects.create(title="封面", file=get_test_image_file("cover.png"))
    for i, day in enumerate([dt.date(2026, 11, 30), dt.date(2026, 12, 2), dt.date(2026, 12, 4)]):
        publish_news(
            site.channel,
            title=f"第{i + 1}条要闻",
            publishing_unit=org.root,
            audience_unit=org.root,
            day=day,
            cover_image=cover if i == 1 else None,
        )
    told = [member_in(org.a1), member_in(org.b1)]
    # Monday 7 December: last week (30 Nov – 6 Dec) is proposed, once
    assert "proposed" in digest_propose_weekly(dt.date(2026, 12, 7))
    assert "skipped" in digest_propose_weekly(dt.date(2026, 12, 9))
    issue = DigestIssue.objects.get()
    assert not issue.live and issue.issue_date == dt.date(2026, 12, 6)
    assert not Notification.objects.exists()  # a draft tells nobody

    editor = staff_with_role(org.root, "editor", "editor_root")
    with django_capture_on_commit_callbacks(execute=True):
        page_review_run(page=issue, submitted_by=editor, reviewers=[roles.reviewer_root])
    issue.refresh_from_db()
    assert issue.live
    rows = Notification.objects.filter(kind="digest_published")
    everyone = set(Member.objects.values_list("pk", flat=True))  # the audience is the root
    assert {m.pk for m in told} <= everyone
    assert sorted(rows.values_list("recipient", flat=True)) == sorted(everyone)
    n = rows.first()
    assert n.title == issue.title
    assert set(n.body.splitlines()) == {"· 第1条要闻", "· 第2条要闻", "· 第3条要闻"}
    assert n.image_url.endswith(".png") and "images/" in n.image_url
    assert n.portal_url == reverse("portal:digest_detail", args=[issue.pk])
    # a corrected issue published again does not send twice
    with django_capture_on_commit_callbacks(execute=True):
        issue.save_revision().publish()
    assert rows.count() == len(everyone)


def test_reviewer_push_on_approval_reaches_the_audience_once_published(
    org, site, roles, django_capture_on_commit_callbacks
):
    in_a = [member_in(org.a), member_in(org.a1)]
    outside = member_in(org.b1)
    pushed = create_and_submit(
        roles.editor_a, site, org.a, org.a, title="紧急通知：防汛", slug="fangxun"
    )
    quiet = create_and_submit(roles.editor_a, site, org.a, org.a, title="一般动态", slug="dongtai")

    for page, data in (
        (pushed, {"comment": "同意，推送", "push": "on"}),
        (quiet, {"comment": "同意"}),
    ):
        state = current_task_state(page)
        url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
        with django_capture_on_commit_callbacks(execute=True):
            resp = login(roles.reviewer_a).post(url, data)
        assert resp.status_code in (200, 302)
        page.refresh_from_db()
        assert page.live
    rows = Notification.objects.filter(kind="content_push")
    audience = Member.objects.filter(unit__path__startswith=org.a.path)
    assert {m.pk for m in in_a} <= set(audience.values_list("pk", flat=True))
    assert sorted(rows.values_list("recipient", flat=True)) == sorted(
        audience.values_list("pk", flat=True)
    )
    assert rows.first().title == "紧急通知：防汛"
    assert rows.first().portal_url == reverse("portal:news_detail", args=[pushed.pk])
    assert not Notification.objects.filter(recipient=outside).exists()
    assert PageLogEntry.objects.filter(page=pushed, action="wagtail.publish").exists()


def test_the_approve_form_offers_the_push_choice(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a, org.a, title="表单", slug="biaodan")
    state = current_task_state(page)
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
    html = login(roles.reviewer_a).get(url).json()["html"]
    assert "发布后推送" in html and 'name="push"' in html
