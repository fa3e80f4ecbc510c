"""Lean JSON representations for the API and the app preview.

Lists are built from `values()` rows plus a fixed number of bulk look-ups (tags,
channels, cover renditions), so a page of 100 costs the same number of queries as a page
of 5. Details reuse `cms.rendering` for typed blocks and safe HTML.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from django.db import connection
from django.urls import reverse
from taggit.models import Tag
from wagtail.models import Page

from cms.models import Book, NewsIndexPage, NewsPageTag
from cms.rendering import (
    BOOK_COVER_SPEC,
    COVER_SPEC,
    PORTRAIT_SPEC,
    image_urls,
    rich_text_html,  # noqa: F401 - re-exported for the portal
    stream_to_json,
)

NEWS_LIST_FIELDS = (
    "id", "title", "subtitle", "source", "author", "date", "summary", "pinned", "path",
    "cover_image_id", "publishing_unit_id", "publishing_unit__name", "audience_unit_id",
    "audience_unit__code", "first_published_at", "last_published_at",
)  # fmt: skip


def _unit(unit_id, name=None, code=None):
    if unit_id is None:
        return None
    data = {"id": unit_id}
    if name is not None:
        data["name"] = name
    if code is not None:
        data["code"] = code
    return data


@functools.cache
def _lookup_sql() -> dict[str, str]:
    """The two bulk look-ups of a news list as plain SQL, built once: every list request
    makes them, and composing them through the ORM cost more CPU than running them."""
    qn = connection.ops.quote_name
    page, index = Page._meta, NewsIndexPage._meta
    tagged, tag = NewsPageTag._meta, Tag._meta
    return {
        "channels": (
            f"SELECT p.{qn(page.get_field('path').column)}, "
            f"c.{qn(index.get_field('channel_code').column)}, "
            f"p.{qn(page.get_field('title').column)} "
            f"FROM {qn(index.db_table)} c INNER JOIN {qn(page.db_table)} p "
            f"ON p.{qn(page.pk.column)} = c.{qn(index.pk.column)} "
            f"WHERE p.{qn(page.get_field('path').column)} IN ({{params}})"
        ),
        "tags": (
            f"SELECT x.{qn(tagged.get_field('content_object').column)}, "
            f"t.{qn(tag.get_field('name').column)} "
            f"FROM {qn(tagged.db_table)} x INNER JOIN {qn(tag.db_table)} t "
            f"ON t.{qn(tag.pk.column)} = x.{qn(tagged.get_field('tag').column)} "
            f"WHERE x.{qn(tagged.get_field('content_object').column)} IN ({{params}}) "
            f"ORDER BY t.{qn(tag.get_field('name').column)}"
        ),
    }


def _rows(name: str, params: list) -> list[tuple]:
    sql = _lookup_sql()[name].format(params=", ".join(["%s"] * len(params)))
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _channels_for(paths: set[str]) -> dict[str, dict]:
    if not paths:
        return {}
    return {
        path: {"code": code, "title": title}
        for path, code, title in _rows("channels", sorted(paths))
    }


def _tags_for(ids: list[int]) -> dict[int, list[str]]:
    """{news id: its tag names in name order}."""
    tags: dict[int, list[str]] = defaultdict(list)
    for oid, name in _rows("tags", list(ids)):
        tags[oid].append(name)
    return tags


def news_list(rows: list[dict]) -> list[dict]:
    ids = [r["id"] for r in rows]
    steplen = NewsIndexPage.steplen
    channels = _channels_for({r["path"][:-steplen] for r in rows})
    tags = _tags_for(ids) if ids else {}
    covers = image_urls((r["cover_image_id"] for r in rows), COVER_SPEC)
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "subtitle": r["subtitle"],
            "source": r["source"],
            "author": r["author"],
            "date": r["date"],
            "summary": r["summary"],
            "pinned": r["pinned"],
            "channel": channels.get(r["path"][:-steplen]),
            "tags": tags.get(r["id"], []),
            "cover": covers.get(r["cover_image_id"]),
            "publishing_unit": _unit(r["publishing_unit_id"], r["publishing_unit__name"]),
            "audience_unit": _unit(r["audience_unit_id"], code=r["audience_unit__code"]),
            "first_published_at": r["first_published_at"],
            "updated_at": r["last_published_at"],
        }
        for r in rows
    ]


def news_detail(page, *, user) -> dict:
    rows = news_list(
        [
            {
                **{f: getattr(page, f, None) for f in NEWS_LIST_FIELDS if "__" not in f},
                "publishing_unit__name": page.publishing_unit.name,
                "audience_unit__code": page.audience_unit.code,
            }
        ]
    )
    data = rows[0]
    # a draft being previewed has unsaved tags in the cluster, not in the table
    data["tags"] = (
        sorted(t.name for t in page.tags.all())
        if page.pk is None or not page.live
        else data["tags"]
    )
    data["body"] = stream_to_json(page.body, user=user)
    return data


STORY_LIST_FIELDS = (
    "id", "title", "kind", "subject_name", "subject_unit_id", "subject_unit__name", "date",
    "summary", "portrait_id", "related_video_id", "audience_unit_id", "last_published_at",
)  # fmt: skip


def story_list(rows: list[dict]) -> list[dict]:
    portraits = image_urls((r["portrait_id"] for r in rows), PORTRAIT_SPEC)
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "kind": r["kind"],
            "subject_name": r["subject_name"],
            "subject_unit": _unit(r["subject_unit_id"], r["subject_unit__name"]),
            "date": r["date"],
            "summary": r["summary"],
            "portrait": portraits.get(r["portrait_id"]),
            "updated_at": r["last_published_at"],
        }
        for r in rows
    ]


def story_detail(page, *, user) -> dict:
    from cms.rendering import _media_payload

    row = {f: getattr(page, f, None) for f in STORY_LIST_FIELDS if "__" not in f}
    row["subject_unit__name"] = page.subject_unit.name
    data = story_list([row])[0]
    data["honours"] = page.honour_list()
    data["related_video"] = _media_payload(page.related_video, user)
    data["deeds"] = stream_to_json(page.deeds, user=user)
    return data


BOOK_LIST_FIELDS = (
    "id", "title", "subtitle", "authors", "publisher", "isbn", "pub_year", "language",
    "category", "cover_id", "file", "file_format", "updated_at",
)  # fmt: skip


def book_read_url(book_id: int) -> str:
    return reverse("api:book-file", kwargs={"id": book_id})


def book_list(rows: list[dict]) -> list[dict]:
    covers = image_urls((r["cover_id"] for r in rows), BOOK_COVER_SPEC)
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "subtitle": r["subtitle"],
            "authors": r["authors"],
            "publisher": r["publisher"],
            "isbn": r["isbn"],
            "pub_year": r["pub_year"],
            "language": r["language"],
            "category": r["category"],
            "cover": covers.get(r["cover_id"]),
            "file_format": r["file_format"] or None,
            "read_url": book_read_url(r["id"]) if r["file"] else None,
            "updated_at": r["updated_at"],
        }
        for r in rows
    ]


def book_detail(book: Book) -> dict:
    row = {f: getattr(book, f if f != "file" else "file") for f in BOOK_LIST_FIELDS}
    row["file"] = bool(book.file)
    data = book_list([row])[0]
    data["description"] = book.description
    return data


PERIODICAL_LIST_FIELDS = (
    "id", "title", "issn", "cn_number", "frequency", "publisher", "language", "category",
    "cover_id", "updated_at",
)  # fmt: skip


def periodical_list(rows: list[dict]) -> list[dict]:
    covers = image_urls((r["cover_id"] for r in rows), BOOK_COVER_SPEC)
    return [
        {**{k: v for k, v in r.items() if k != "cover_id"}, "cover": covers.get(r["cover_id"])}
        for r in rows
    ]


def issue_list(rows: list[dict]) -> list[dict]:
    covers = image_urls((r["cover_id"] for r in rows), BOOK_COVER_SPEC)
    return [
        {
            "id": r["id"],
            "label": r["label"],
            "issue_date": r["issue_date"],
            "cover": covers.get(r["cover_id"]),
            "read_url": reverse("api:periodical-issue-file", kwargs={"id": r["id"]}),
        }
        for r in rows
    ]


def digest_list(rows: list[dict]) -> list[dict]:
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "issue_number": r["issue_number"],
            "issue_date": r["issue_date"],
            "editor_note": r["editor_note"],
            "updated_at": r["last_published_at"],
        }
        for r in rows
    ]


def digest_detail(issue, *, visible_news_ids: set[int] | None) -> dict:
    """`visible_news_ids`: the item news the reader may open (None = preview, show all);
    items pointing at news outside the reader's scope are left out, not leaked."""
    data = digest_list(
        [
            {
                "id": issue.id,
                "title": issue.title,
                "issue_number": issue.issue_number,
                "issue_date": issue.issue_date,
                "editor_note": issue.editor_note,
                "last_published_at": issue.last_published_at,
            }
        ]
    )[0]
    items = list(issue.items.all())  # in-memory for a previewed draft
    covers = image_urls((i.news.cover_image_id for i in items), COVER_SPEC)
    data["items"] = [
        {
            "news_id": i.news_id,
            "title": i.news.title,
            "summary": i.summary or i.news.summary,
            "cover": covers.get(i.news.cover_image_id),
        }
        for i in items
        if visible_news_ids is None or i.news_id in visible_news_ids
    ]
    return data


def preview_payload(page, user) -> dict | None:
    """A draft page as the app's detail endpoint would show it (None: not previewable)."""
    name = page._meta.model_name
    if name == "newspage":
        return news_detail(page, user=user)
    if name == "exemplarpage":
        return story_detail(page, user=user)
    if name == "digestissue":
        return digest_detail(page, visible_news_ids=None)
    return None
