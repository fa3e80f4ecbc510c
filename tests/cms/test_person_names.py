"""Where the admin shows a person (page history, "last edited by", owners, choosers), it
shows the member's name (Member.name), not their login."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.cms.conftest import publish_news

pytestmark = pytest.mark.django_db


def test_page_history_and_listing_name_the_member_not_the_login(org, site, roles):
    editor = roles.editor_a
    editor.member.name = "王编辑"
    editor.member.save()
    page = publish_news(
        site.channel, title="党建工作会", publishing_unit=org.a, audience_unit=org.a
    )
    page.owner = editor
    page.save()
    page.title = "党建工作会（修订）"
    page.save_revision(user=editor, log_action=True)

    client = Client()
    client.force_login(editor)
    for url in (
        reverse("wagtailadmin_pages:history", args=(page.pk,)),
        reverse("wagtailadmin_pages:edit", args=(page.pk,)),
    ):
        html = client.get(url).content.decode()
        assert "王编辑" in html, url
        assert ">editor_a<" not in html and "editor_a</" not in html, url
    # the user itself prints as the member (choosers, "locked by", avatars' titles)
    editor.refresh_from_db()
    assert str(editor) == "王编辑"
