"""Interaction fixtures: the site with its channels (tests/cms), a news item of unit A for
A's subtree, members of A1 and B1, an editor of A and one of B, answerers."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from organizations.models import UnitRole
from tests.factories import member_in, user_with_role


@pytest.fixture(autouse=True)
def _roomy_rates(settings):
    """Rate limits out of the way except where a test sets its own."""
    settings.EHOME_INTERACTION_RATES = {
        "comment": (1000, 60),
        "report": (1000, 60),
        "question": (1000, 60),
    }


@pytest.fixture(autouse=True)
def _fresh_word_automata():
    """Each test's database starts without words; automata built by an earlier test (whose
    rows were rolled back) must not be reused."""
    from interaction.comments import words

    words._built.clear()
    yield
    words._built.clear()


def rate_reset(action: str, member_id: int, period: int = 60) -> None:
    cache.delete(f"ia:rate:{action}:{member_id}:{int(time.time() // period)}")


@pytest.fixture
def news_a(org, request):
    return publish_news(
        request.getfixturevalue("site").channel,
        title="A单位要闻",
        publishing_unit=org.a,
        audience_unit=org.a,
        slug="news-a",
    )


@pytest.fixture
def news_b(org, request):
    return publish_news(
        request.getfixturevalue("site").channel,
        title="B单位要闻",
        publishing_unit=org.b,
        audience_unit=org.b,
        slug="news-b",
    )


@pytest.fixture
def m_a1(org):
    return member_in(org.a1, username="ia_m_a1", name="张三")


@pytest.fixture
def m2_a1(org):
    return member_in(org.a1, username="ia_m2_a1", name="李四")


@pytest.fixture
def m_b1(org):
    return member_in(org.b1, username="ia_m_b1", name="王五")


@pytest.fixture
def editor_a(org):
    return user_with_role(org.a, UnitRole.Role.EDITOR, username="ia_editor_a")


@pytest.fixture
def editor_b(org):
    return user_with_role(org.b, UnitRole.Role.EDITOR, username="ia_editor_b")


@pytest.fixture
def answerer_a(org):
    return user_with_role(org.a, UnitRole.Role.ANSWERER, username="ia_answerer_a")


@pytest.fixture
def answerer_b(org):
    return user_with_role(org.b, UnitRole.Role.ANSWERER, username="ia_answerer_b")


# The CMS suite's site fixture (home page and channels) and news publisher, reused as is.
from tests.cms.conftest import _fast_passwords, publish_news, site  # noqa: E402, F401
