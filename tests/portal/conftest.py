"""Portal fixtures: logged-in Django test clients for members and secretaries."""

from __future__ import annotations

import pytest
from django.test import Client

from organizations.models import UnitRole
from tests.factories import member_in, user_with_role


@pytest.fixture
def member_b1(org):
    """A member of the Tanzanian branch B1 (time zone Africa/Dar_es_Salaam)."""
    return member_in(org.b1, username="m_b1")


@pytest.fixture
def member_a1(org):
    return member_in(org.a1, username="m_a1")


@pytest.fixture
def secretary_b(org):
    return user_with_role(org.b, UnitRole.Role.SECRETARY, username="sec_b")


@pytest.fixture
def web_client():
    """web_client(user) → a Django test client with a logged-in session."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _tasks_inline(settings):
    """Tasks run inline in tests (the suite's rule). The root conftest's
    EHOME_TASKS_IMMEDIATE can arrive after settings were read (pytest-django sets Django
    up first), which leaves REDIS_URL runs on the RQ backend with no worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
