"""Adapters for the indexed models of the content (cms) and academy (elearning) apps.

Each registers only if its model exists. Attribute names that a model lacks are simply
skipped (a missing body field indexes as empty), so an evolving model never breaks
indexing. The type keys are the API's `?type=` values.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist

from search.registry import SearchAdapter, register


def _periodical_issue_published(obj) -> bool:
    periodical = getattr(obj, "periodical", None)
    return bool(obj.is_published and periodical is not None and periodical.is_published)


def _periodical_issue_audience(obj) -> str:
    unit = getattr(getattr(obj, "periodical", None), "audience_unit", None)
    return unit.path if unit is not None else ""


def _periodical_issue_title(obj) -> str:
    periodical = getattr(obj, "periodical", None)
    return f"{periodical.title if periodical else ''} {obj.label}".strip()


def _book_body(obj) -> str:
    parts = [
        getattr(obj, "subtitle", ""),
        getattr(obj, "authors", ""),
        getattr(obj, "publisher", ""),
        getattr(obj, "isbn", ""),
        getattr(obj, "description", ""),
    ]
    return " ".join(p for p in parts if p)


def _course_audience(obj) -> str:
    unit = getattr(obj, "audience_unit", None) or getattr(obj, "owner_unit", None)
    return unit.path if unit is not None else ""


def _lesson_course(obj):
    return getattr(obj, "course", None)


def _lesson_published(obj) -> bool:
    course = _lesson_course(obj)
    own = getattr(obj, "is_published", True)
    return bool(own and (course is None or _course_published(course)))


def _course_published(obj) -> bool:
    for attr in ("is_published", "published", "live"):
        if hasattr(obj, attr):
            return bool(getattr(obj, attr))
    status = getattr(obj, "status", None)
    if status is not None:
        return str(status) in ("published", "open", "active")
    return True


def _lesson_audience(obj) -> str:
    unit = getattr(obj, "audience_unit", None)
    if unit is None:
        course = _lesson_course(obj)
        return _course_audience(course) if course is not None else ""
    return unit.path


def _digest_items(obj) -> str:
    """The titles of the news items a digest issue lists."""
    items = getattr(obj, "items", None)
    if items is None:
        return ""
    titles = []
    for item in items.all():
        for attr in ("page", "news", "news_page", "item"):
            target = getattr(item, attr, None)
            if target is not None and hasattr(target, "title"):
                titles.append(target.title)
                break
        else:
            titles.append(getattr(item, "title", "") or "")
    return " ".join(t for t in titles if t)


def _ids(obj, related_name: str) -> list[int]:
    """Ids of the rows stored under `obj` through the reverse relation `related_name`.

    Asked of the database, not of `obj.<related_name>`: while a ClusterableModel is saved
    from an admin form, post_save fires before its child rows are written and that
    manager is an in-memory list without `values_list` (the rows it holds are indexed by
    their own post_save once written)."""
    if obj.pk is None:
        return []
    try:
        rel = obj._meta.get_field(related_name)
    except FieldDoesNotExist:
        return []
    if not getattr(rel, "one_to_many", False):
        return []
    rows = rel.related_model._default_manager.filter(**{rel.field.name: obj.pk})
    return list(rows.values_list("pk", flat=True))


def _content_served(obj) -> bool:
    """A news item, story or digest is searchable while it is live and still served
    through the app or the portal (a suspended outlet stops it: cms.outlets)."""
    from cms.outlets import page_served

    return page_served(obj)


def _date_of(*attrs):
    def get(obj):
        for attr in attrs:
            value = getattr(obj, attr, None)
            if value:
                return value
        return None

    return get


ADAPTERS = [
    SearchAdapter(
        doc_type="news",
        label="新闻",
        model="cms.NewsPage",
        body=("subtitle", "summary", "body", "source", "author"),
        date=_date_of("date", "first_published_at"),
        published=_content_served,
        is_page=True,
    ),
    SearchAdapter(
        doc_type="exemplar",
        label="先进典型",
        model="cms.ExemplarPage",
        body=("subject_name", "summary", "honours", "deeds"),
        date=_date_of("date", "first_published_at"),
        published=_content_served,
        is_page=True,
    ),
    SearchAdapter(
        doc_type="digest",
        label="手机报",
        model="cms.DigestIssue",
        body=("editor_note", _digest_items),
        date=_date_of("issue_date", "first_published_at"),
        published=_content_served,
        is_page=True,
    ),
    SearchAdapter(
        doc_type="book",
        label="图书",
        model="cms.Book",
        body=(_book_body,),
        date=_date_of("created_at"),
    ),
    SearchAdapter(
        doc_type="periodical",
        label="期刊",
        model="cms.Periodical",
        body=("publisher", "issn", "cn_number", "description"),
        date=_date_of("created_at"),
        dependents=lambda periodical: [("periodical_issue", _ids(periodical, "issues"))],
    ),
    SearchAdapter(
        doc_type="periodical_issue",
        label="期刊期次",
        model="cms.PeriodicalIssue",
        title=_periodical_issue_title,
        body=(),
        date=_date_of("issue_date"),
        published=_periodical_issue_published,
        audience=_periodical_issue_audience,
        select_related=("periodical__audience_unit",),
    ),
    SearchAdapter(
        doc_type="course",
        label="课程",
        model="elearning.Course",
        body=("description", "category", "summary"),
        date=_date_of("published_at", "created_at"),
        published=_course_published,
        audience=_course_audience,
        select_related=("audience_unit", "owner_unit"),
        dependents=lambda course: [("lesson", _ids(course, "lessons"))],
    ),
    SearchAdapter(
        doc_type="lesson",
        label="课时",
        model="elearning.Lesson",
        body=("body", "summary", "description"),
        date=lambda lesson: _date_of("published_at", "created_at")(lesson.course),
        published=_lesson_published,
        audience=_lesson_audience,
        select_related=("course__audience_unit", "audience_unit"),
    ),
]


def _extra_signals():
    try:
        from cms.signals import books_imported, outlet_served_changed
    except ImportError:
        return {}
    return {
        "book": [books_imported],
        "news": [outlet_served_changed],
        "exemplar": [outlet_served_changed],
        "digest": [outlet_served_changed],
    }


def register_all() -> list[str]:
    """Register every adapter whose model exists; returns the registered type keys."""
    extra = _extra_signals()
    done = []
    for adapter in ADAPTERS:
        adapter.extra_signals = extra.get(adapter.doc_type, [])
        if register(adapter):
            done.append(adapter.doc_type)
    return done
