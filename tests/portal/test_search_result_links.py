"""Every search result type opens its own page in the portal and its own resource in the
API (issue 16, item 9): on the seeded demo, for each indexed type, the demo member
searches for one result of that type they may read, follows the portal link the search
page shows and the `api_url` the search API returns, and gets a 200 each time; a member
outside the audience gets a 404 on both."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from search import registry
from search.models import SearchDocument
from search.query import scope_for_user

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a class="item-title" href="([^"]*)"')


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", skip=["media_pipeline"], stdout=io.StringIO())


def _visible_doc(user, doc_type: str) -> SearchDocument:
    scope = scope_for_user(user)
    docs = SearchDocument.objects.filter(doc_type=doc_type, is_published=True)
    for doc in docs.order_by("object_id"):
        if scope.everything or doc.audience_path in scope.paths:
            return doc
    raise AssertionError(f"the demo has no {doc_type} the member may read")


def test_every_result_type_opens_in_the_portal_and_the_api(demo):
    member = get_user_model().objects.get(username="member")
    web, api = Client(), APIClient()
    web.force_login(member)
    api.force_authenticate(member)
    types = registry.doc_types()
    assert len(types) >= 8, types
    for doc_type in types:
        doc = _visible_doc(member, doc_type)
        page = web.get("/search/", {"q": doc.title, "type": doc_type})
        assert page.status_code == 200
        links = HREF.findall(page.content.decode())
        assert links and "#" not in links, (doc_type, links)
        for link in links[:3]:
            assert web.get(link, follow=True).status_code == 200, (doc_type, link)
        r = api.get("/api/v1/search/", {"q": doc.title, "type": doc_type})
        assert r.status_code == 200, r.content
        hits = r.json()["results"]
        assert doc.object_id in [h["id"] for h in hits], (doc_type, doc.title)
        for hit in hits[:3]:
            assert hit["api_url"].startswith("/api/v1/"), hit
            assert api.get(hit["api_url"]).status_code == 200, (doc_type, hit["api_url"])


def test_a_member_outside_the_audience_gets_404_on_both_links(demo):
    from api.search_api import hit_api_url
    from organizations.models import OrgUnit
    from portal.views.search import hit_url
    from search.query import Hit
    from tests.factories import member_in

    member = get_user_model().objects.get(username="member")
    scope = scope_for_user(member)
    group = min(scope.paths, key=len)
    checked = set()
    docs = SearchDocument.objects.filter(is_published=True, audience_path__in=scope.paths)
    for doc in docs.exclude(audience_path=group).order_by("doc_type", "object_id"):
        if doc.doc_type in checked:
            continue
        checked.add(doc.doc_type)
        other = (
            OrgUnit.objects.filter(depth__gt=1)
            .exclude(path__startswith=doc.audience_path)
            .order_by("path")
            .first()
        )
        outsider = member_in(other, username=f"outsider-{doc.doc_type}").user
        assert doc.audience_path not in scope_for_user(outsider).paths
        hit = Hit(doc.doc_type, "", doc.object_id, doc.title, "", "", None, doc.url, 0.0)
        web, api = Client(), APIClient()
        web.force_login(outsider)
        api.force_authenticate(outsider)
        assert web.get(hit_url(hit)).status_code == 404, (doc.doc_type, hit_url(hit))
        assert api.get(hit_api_url(hit)).status_code == 404, (doc.doc_type, hit_api_url(hit))
    assert checked, "the demo has nothing addressed below the group level"
