"""Services: digest proposals, the read counter, editor groups following unit roles."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group

from cms.models import DigestIssue, PageReadCount
from cms.services import EDITORS_GROUP, REVIEWERS_GROUP, digest_propose, page_read_record
from organizations.services import unit_role_grant, unit_role_revoke
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def test_digest_proposes_pinned_then_most_read_of_that_week_as_a_draft(org, site, news):
    week = date(2026, 11, 16)
    quiet = news(
        title="冷门", publishing_unit=org.root, audience_unit=org.root, day=date(2026, 11, 17)
    )
    popular = news(
        title="热门", publishing_unit=org.root, audience_unit=org.root, day=date(2026, 11, 16)
    )
    pinned = news(
        title="置顶",
        publishing_unit=org.root,
        audience_unit=org.root,
        day=date(2026, 11, 18),
        pinned=True,
    )
    news(
        title="上周",
        publishing_unit=org.root,
        audience_unit=org.root,
        day=date(2026, 11, 15),
        pinned=True,
    )
    news(title="只给A", publishing_unit=org.a, audience_unit=org.a, day=date(2026, 11, 17))
    for _ in range(3):
        page_read_record(page_id=popular.pk)
    page_read_record(page_id=quiet.pk)
    issue = digest_propose(
        week_start=week, index=site.digests, publishing_unit=org.root, audience_unit=org.root
    )
    assert [i.news_id for i in issue.items.all()] == [pinned.pk, popular.pk, quiet.pk]
    assert not issue.live and issue.issue_number == 1
    assert DigestIssue.objects.get(pk=issue.pk).get_latest_revision() is not None
    assert (
        digest_propose(week_start=week, index=site.digests, audience_unit=org.root).issue_number
        == 2
    )


def test_read_counter_is_one_row_per_page(org, site, news):
    page = news(title="新闻", publishing_unit=org.root, audience_unit=org.root)
    for _ in range(5):
        page_read_record(page_id=page.pk)
    assert PageReadCount.objects.filter(page_id=page.pk).count() == 1
    assert PageReadCount.objects.get(page_id=page.pk).count == 5
    page.save_revision().publish()  # publishing never resets the counter
    assert PageReadCount.objects.get(page_id=page.pk).count == 5


def test_editor_groups_follow_unit_roles(org, site, django_capture_on_commit_callbacks):
    user = member_in(org.a, "grp_user").user
    with django_capture_on_commit_callbacks(execute=True):
        unit_role_grant(user=user, unit=org.a, role="editor")
    assert user.groups.filter(name=EDITORS_GROUP).exists()
    assert not user.groups.filter(name=REVIEWERS_GROUP).exists()
    with django_capture_on_commit_callbacks(execute=True):
        unit_role_revoke(user=user, unit=org.a, role="editor")
    assert not user.groups.filter(name=EDITORS_GROUP).exists()
    assert Group.objects.filter(name=REVIEWERS_GROUP).exists()
