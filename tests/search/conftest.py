"""Fixtures for search tests: documents indexed straight into the search table."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from search.registry import IndexedDoc
from search.services import documents_upsert

_ids = itertools.count(1)


def make_doc(
    title: str,
    body: str = "",
    *,
    unit=None,
    path: str | None = None,
    doc_type: str = "news",
    published: bool = True,
    days_ago: int = 0,
    object_id: int | None = None,
) -> IndexedDoc:
    return IndexedDoc(
        doc_type=doc_type,
        object_id=object_id or next(_ids),
        title=title,
        body=body,
        audience_path=path if path is not None else (unit.path if unit is not None else ""),
        is_published=published,
        date=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # Explicit: the root conftest's EHOME_TASKS_IMMEDIATE may be read after settings load.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def index_docs(db):
    def index(*docs: IndexedDoc) -> list[IndexedDoc]:
        documents_upsert(docs=list(docs))
        return list(docs)

    return index


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    user = UserFactory(username="search-root")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    return user


# The CMS suite's site fixture (home page and channels) and news publisher, reused as is.
from tests.cms.conftest import publish_news, site  # noqa: E402, F401
