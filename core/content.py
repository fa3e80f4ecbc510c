"""Content types, declared once, and the one `content_changed` signal.

A *content type* is a kind of object readers see: a news item, a book, a course, a lesson.
Each content app declares its types in one module (`cms/content.py`,
`elearning/content.py`) and registers them from its `AppConfig.ready()`; nothing else
in the project lists content models. A declaration names the model, what "published"
means for it (a queryset filter and the same check on an instance), the foreign key to
its audience unit, how search indexes it, the API's JSON builder and resource name, and
what the API serves a reader.

This module sits in `core`, below every app, and imports none of them. It watches the
registered models (post_save, post_delete and Wagtail's publish, unpublish and move
signals) and, once the transaction commits, sends `content_changed` with a
`ContentChange`. The apps above react to that one signal: `search` (re)indexes, `api`
bumps the HTTP cache versions and writes the sync tombstones. A rolled-back write sends
nothing. Bulk writes that send no per-row signals (an import) announce themselves with
`changed(...)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal

log = logging.getLogger(__name__)

#: sent after commit, once per change: `sender` is the content type's model,
#: `change` a `ContentChange`
content_changed = Signal()

# what happened (ContentChange.action)
SAVED = "saved"
DELETED = "deleted"
PUBLISHED = "published"
UNPUBLISHED = "unpublished"
MOVED = "moved"
#: a row that is part of the type's JSON changed (a tag, a digest item, a channel page)
PART = "part"
#: many objects changed at once without per-row signals (an import, an outlet suspended)
BULK = "bulk"


@dataclass(frozen=True)
class SearchSpec:
    """How search indexes a content type (read by `search.registry`).

    title      attribute (or callable obj → str) for the title
    body       attributes (or callables) concatenated into the body text
    date       callable obj → date/datetime for the result date
    published  callable obj → bool when search lists less than the type publishes
               (default: the type's `is_published`)
    url        callable obj → URL (default: a page's `url_path`)
    dependents callable obj → [(content type name, [ids])] of other documents whose
               visibility follows this object (a course's lessons): reindexed with it
    """

    body: tuple = ()
    title: str | Callable = "title"
    date: Callable | None = None
    published: Callable | None = None
    url: Callable | None = None
    dependents: Callable | None = None


@dataclass(frozen=True, eq=False)
class ContentType:
    """One kind of content, declared once by its app.

    name           unique key: the search document type (`?type=`) and the registry key
    model          the model class
    label          the name people see (search facets)
    resource       the API resource it is served under (`/api/v1/<resource>/`, the
                   cache version and the sync resource); a part of a bigger object (an
                   issue of a periodical, a lesson of a course) names its parent's
    published      queryset filter: what may reach any reader at all
    is_published   the same check on an instance in hand
    audience_field the foreign key (through relations with `__`) to the audience unit
    search         how search indexes it (None: not indexed)
    representation the API's JSON builder for one object
    visible_to     user → queryset of what the API serves that user (None: not synced)
    synced         an app keeps these as objects of their own (offline copies): when
                   one leaves its readers a tombstone is written
    embedded_in    other resources whose JSON embeds this type (news in digests)
    parts          other models whose rows are part of this type's JSON (tags, items,
                   channel pages): a change to one is a change of the resource
    """

    name: str
    model: type[models.Model]
    label: str
    resource: str
    published: Q
    is_published: Callable[[models.Model], bool]
    audience_field: str = "audience_unit"
    search: SearchSpec | None = None
    representation: Callable | None = None
    visible_to: Callable | None = None
    synced: bool = True
    embedded_in: tuple[str, ...] = ()
    parts: tuple[type[models.Model], ...] = ()
    #: concrete fields the published filter and the audience depend on (derived)
    visibility_fields: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self):
        fields = _q_fields(self.published) | {self.audience_field.split("__")[0]}
        object.__setattr__(self, "visibility_fields", frozenset(fields))

    @property
    def is_page(self) -> bool:
        from wagtail.models import Page

        return issubclass(self.model, Page)

    @property
    def resources(self) -> tuple[str, ...]:
        """Every API resource a change of this type changes."""
        return (self.resource, *self.embedded_in)

    def audience_path(self, obj) -> str:
        """The audience unit's path of an instance in hand (through loaded relations)."""
        value = obj
        for part in self.audience_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return getattr(value, "path", "") or ""


@dataclass(frozen=True)
class Visibility:
    """Who could see an object: whether it was published and its audience unit's path."""

    published: bool
    audience_path: str


@dataclass(frozen=True)
class ContentChange:
    """What `content_changed` reports.

    `before`/`after` are set for one object of a synced type whose visibility was
    looked at: `before` is the committed state the write started from (None: created or
    not looked at), `after` the state it left (None: deleted)."""

    content_type: ContentType
    action: str
    object_ids: tuple[int, ...]
    instance: models.Model | None = None
    before: Visibility | None = None
    after: Visibility | None = None


_TYPES: dict[str, ContentType] = {}
_BY_MODEL: dict[type, ContentType] = {}
_PARTS: dict[type, list[ContentType]] = {}


def _q_fields(q: Q) -> set[str]:
    out: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            out |= _q_fields(child)
        else:
            out.add(child[0].split("__")[0])
    return out


def register(*types: ContentType) -> None:
    """Register content types (from the declaring app's `ready()`; idempotent per name)."""
    for ct in types:
        known = _TYPES.get(ct.name)
        if known is not None and known.model is not ct.model:
            raise ValueError(f"content type {ct.name!r} is already declared for {known.model}")
        _TYPES[ct.name] = ct
        _BY_MODEL[ct.model] = ct
        _connect(ct.model, f"content.{ct.name}")
        for part in ct.parts:
            owners = _PARTS.setdefault(part, [])
            owners[:] = [t for t in owners if t.name != ct.name] + [ct]
            _connect(part, f"content.part.{part._meta.label_lower}")


def unregister(name: str) -> None:
    """Forget a type (tests that declare one of their own)."""
    ct = _TYPES.pop(name, None)
    if ct is not None:
        _BY_MODEL.pop(ct.model, None)
        for types in _PARTS.values():
            types[:] = [t for t in types if t.name != name]


def all_types() -> list[ContentType]:
    return list(_TYPES.values())


def get(name: str) -> ContentType | None:
    return _TYPES.get(name)


def of_model(model: type[models.Model]) -> ContentType | None:
    """The content type declared for `model` (None: not content)."""
    return _BY_MODEL.get(model)


def synced_resources() -> tuple[str, ...]:
    """The API resources an app keeps offline copies of, in declaration order."""
    return tuple(dict.fromkeys(ct.resource for ct in _TYPES.values() if ct.synced))


def visibility_of(ct: ContentType, pk) -> Visibility | None:
    """The stored visibility of one object (one query; None when it is not stored)."""
    row = (
        ct.model._base_manager.filter(pk=pk)
        .annotate(
            _ehome_pub=Case(
                When(ct.published, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            ),
            _ehome_path=F(f"{ct.audience_field}__path"),
        )
        .values_list("_ehome_pub", "_ehome_path")
        .first()
    )
    if row is None:
        return None
    return Visibility(published=bool(row[0]), audience_path=row[1] or "")


# --- sending ------------------------------------------------------------------------------
def _send(change: ContentChange) -> None:
    for receiver, result in content_changed.send_robust(
        sender=change.content_type.model, change=change
    ):
        if isinstance(result, Exception):
            log.error(
                "content_changed receiver %r failed for %s %s %s",
                receiver,
                change.content_type.name,
                change.action,
                list(change.object_ids),
                exc_info=result,
            )


def changed(ct: ContentType, object_ids: Iterable[int], *, action: str = BULK) -> None:
    """Announce a change the model signals do not see (bulk writes): `content_changed`
    is sent once the current transaction commits (at once outside a transaction)."""
    ids = tuple(int(i) for i in object_ids)
    if ids:
        transaction.on_commit(partial(_send, ContentChange(ct, action, ids)))


def _on_commit(change: ContentChange) -> None:
    transaction.on_commit(partial(_send, change))


# --- watching the registered models -------------------------------------------------------
def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    ct = _BY_MODEL.get(sender)
    if raw or ct is None or not ct.synced or instance.pk is None:
        return
    if update_fields is not None and not (ct.visibility_fields & set(update_fields)):
        return
    instance._ehome_content_before = visibility_of(ct, instance.pk)


def _after_save(sender, instance, created=False, raw=False, **kwargs):
    if raw:  # loaddata
        return
    before = instance.__dict__.pop("_ehome_content_before", None)
    ct = _BY_MODEL.get(sender)
    if ct is not None:
        after = None
        if before is not None and before.published:  # only then can readers lose it
            after = visibility_of(ct, instance.pk)
        _on_commit(ContentChange(ct, SAVED, (instance.pk,), instance, before, after))
    _part_changed(sender, instance)


def _before_delete(sender, instance, **kwargs):
    ct = _BY_MODEL.get(sender)
    if ct is not None and ct.synced and ct.is_published(instance):
        instance._ehome_content_before = visibility_of(ct, instance.pk)


def _after_delete(sender, instance, **kwargs):
    ct = _BY_MODEL.get(sender)
    if ct is not None:
        before = instance.__dict__.pop("_ehome_content_before", None)
        _on_commit(ContentChange(ct, DELETED, (instance.pk,), instance, before, None))
    _part_changed(sender, instance)


def _page_event(action: str):
    def receiver(sender, instance, **kwargs):
        page = instance.specific if hasattr(instance, "specific") else instance
        ct = _BY_MODEL.get(type(page))
        if ct is not None:
            _on_commit(ContentChange(ct, action, (page.pk,), page))
        _part_changed(type(page), page)

    return receiver


def _part_changed(model, instance) -> None:
    for ct in _PARTS.get(model, ()):
        _on_commit(ContentChange(ct, PART, (), instance))


_published_receiver = _page_event(PUBLISHED)
_unpublished_receiver = _page_event(UNPUBLISHED)
_moved_receiver = _page_event(MOVED)


def _connect(model, uid: str) -> None:
    from wagtail.models import Page
    from wagtail.signals import page_published, page_unpublished, post_page_move

    pre_save.connect(_before_save, sender=model, dispatch_uid=uid + ".pre_save")
    post_save.connect(_after_save, sender=model, dispatch_uid=uid + ".save")
    pre_delete.connect(_before_delete, sender=model, dispatch_uid=uid + ".pre_delete")
    post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + ".delete")
    if issubclass(model, Page):
        page_published.connect(_published_receiver, sender=model, dispatch_uid=uid + ".pub")
        page_unpublished.connect(_unpublished_receiver, sender=model, dispatch_uid=uid + ".unpub")
        post_page_move.connect(_moved_receiver, sender=model, dispatch_uid=uid + ".move")
