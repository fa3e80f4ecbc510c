"""Shared fixtures: a small organisation tree, users with roles, API clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import OrgTree, make_org_tree


@pytest.fixture(autouse=True)
def _clear_cache():
    """The cache and the per-process caches of the hot paths (point rules, lessons by id —
    ids are reused once a test's transaction rolls back) start empty in every test."""
    from elearning.contests.services import rules_cache_clear
    from elearning.courses import selectors

    def clear():
        cache.clear()
        rules_cache_clear()
        selectors._lesson_cache.clear()

    clear()
    yield
    clear()


@pytest.fixture
def org(db) -> OrgTree:
    """root(G) → A(committee, CN) → A1(branch, CN); root → B(committee) → B1(branch, TZ)."""
    return make_org_tree()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) → an APIClient authenticated with a real JWT for that user."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user) -> APIClient:
        client = APIClient()
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make
