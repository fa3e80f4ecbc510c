"""The registry of indexed types: one adapter per model turns an object into a document.

The core (backends, sync, service, API) only knows `SearchAdapter`; one is made for
every content type declared with a `SearchSpec` (core.content: the content apps declare
their types once, in their own `content.py`), so nothing here names a model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags

from core import content
from core.content import ContentType


@dataclass
class IndexedDoc:
    doc_type: str
    object_id: int
    title: str
    body: str
    audience_path: str
    is_published: bool
    date: dt.datetime | None = None
    url: str = ""


def as_datetime(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, dt.date):
        return timezone.make_aware(dt.datetime(value.year, value.month, value.day))
    return None


def plain_text(value) -> str:
    """Readable text of a field value: StreamField/RichText/HTML/plain → text."""
    if value is None:
        return ""
    stream_block = getattr(value, "stream_block", None)
    if stream_block is not None:  # StreamValue
        try:
            return " ".join(str(s) for s in stream_block.get_searchable_content(value) if s)
        except Exception:
            return strip_tags(str(value))
    source = getattr(value, "source", None)  # RichText
    if isinstance(source, str):
        return strip_tags(source)
    if isinstance(value, (list, tuple)):
        return " ".join(plain_text(v) for v in value)
    text = str(value)
    return strip_tags(text) if "<" in text else text


@dataclass
class SearchAdapter:
    """How one model is indexed.

    doc_type  stable type key used in the API (`?type=news`) and index names
    label     Chinese name shown in facets
    model     the model class
    title     attribute (or callable obj → str) for the title
    body      attributes (or callables) concatenated into the body text
    date      attribute (or callable) for the result date
    published callable obj → bool (default: `live` for pages, `is_published` otherwise)
    audience  callable obj → audience path (default: `obj.audience_unit.path`)
    """

    doc_type: str
    label: str
    model: type[models.Model]
    title: str | Callable = "title"
    body: tuple = ()
    date: str | Callable | None = None
    published: Callable | None = None
    audience: Callable | None = None
    url: Callable | None = None
    select_related: tuple = ("audience_unit",)
    is_page: bool = False
    #: obj → [(doc_type, [ids])] of other documents whose visibility follows this object
    #: (a course's lessons, a periodical's issues): reindexed when it changes
    dependents: Callable | None = None

    def model_class(self) -> type[models.Model]:
        return self.model

    def queryset(self) -> models.QuerySet:
        model = self.model
        qs = model._default_manager.all()
        related = [r for r in self.select_related if _relation_exists(model, r)]
        if related:
            qs = qs.select_related(*related)
        return qs.order_by("pk")

    def _get(self, obj, spec):
        if spec is None:
            return None
        if callable(spec):
            return spec(obj)
        value = obj
        for part in spec.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value() if callable(value) and not isinstance(value, models.Model) else value

    def is_published(self, obj) -> bool:
        if self.published is not None:
            return bool(self.published(obj))
        if self.is_page or hasattr(obj, "live"):
            return bool(getattr(obj, "live", False))
        return bool(getattr(obj, "is_published", True))

    def audience_path(self, obj) -> str:
        if self.audience is not None:
            return self.audience(obj) or ""
        unit = getattr(obj, "audience_unit", None)
        return unit.path if unit is not None else ""

    def to_document(self, obj) -> IndexedDoc:
        url = ""
        if self.url is not None:
            url = self.url(obj) or ""
        elif self.is_page:
            url = getattr(obj, "url_path", "") or ""
        return IndexedDoc(
            doc_type=self.doc_type,
            object_id=obj.pk,
            title=plain_text(self._get(obj, self.title))[:500],
            body=" ".join(plain_text(self._get(obj, b)) for b in self.body).strip(),
            audience_path=self.audience_path(obj),
            is_published=self.is_published(obj),
            date=as_datetime(self._get(obj, self.date)),
            url=url[:500],
        )


def _relation_exists(model, path: str) -> bool:
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:
            return False
        if not getattr(field, "is_relation", False) or field.related_model is None:
            return False
        model = field.related_model
    return True


#: the adapter made for each content type declaration (kept while the declaration is)
_MADE: dict[int, tuple[ContentType, SearchAdapter]] = {}


def adapter_for(ct: ContentType) -> SearchAdapter:
    """The adapter of a content type declared with a `SearchSpec`: its name is the
    document type (`?type=`), its audience the type's audience unit, what search lists
    its `published` (or the spec's narrower rule)."""
    made = _MADE.get(id(ct))
    if made is not None and made[0] is ct:
        return made[1]
    spec = ct.search
    adapter = SearchAdapter(
        doc_type=ct.name,
        label=ct.label,
        model=ct.model,
        title=spec.title,
        body=spec.body,
        date=spec.date,
        published=spec.published or ct.is_published,
        audience=ct.audience_path,
        url=spec.url,
        select_related=(ct.audience_field,),
        is_page=ct.is_page,
        dependents=spec.dependents,
    )
    _MADE[id(ct)] = (ct, adapter)
    return adapter


def _registry() -> dict[str, SearchAdapter]:
    """Every searchable content type's adapter, in declaration order: the registry is a
    view of core.content, so a type declared there is searchable with nothing else."""
    return {ct.name: adapter_for(ct) for ct in content.all_types() if ct.search is not None}


def all_adapters() -> list[SearchAdapter]:
    return list(_registry().values())


def get_adapter(doc_type: str) -> SearchAdapter | None:
    return _registry().get(doc_type)


def adapters_for_model(model: type[models.Model]) -> list[SearchAdapter]:
    return [a for a in _registry().values() if a.model is model]


def doc_types() -> list[str]:
    return list(_registry())


def labels() -> dict[str, str]:
    return {a.doc_type: a.label for a in _registry().values()}


def iter_models() -> Iterable[type[models.Model]]:
    return list(dict.fromkeys(a.model for a in _registry().values()))
