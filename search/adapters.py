"""Search adapters made from the declared content types.

Every content type declared with a `SearchSpec` (`core.content`; the content apps
declare theirs in `cms/content.py` and `elearning/content.py`) gets one adapter: its
name is the document type (the API's `?type=` value), its audience the type's audience
unit, what search lists its `published` (or the spec's narrower rule). Nothing here
names a model.
"""

from __future__ import annotations

from core import content
from core.content import ContentType
from search.registry import SearchAdapter, register


def adapter_for(ct: ContentType) -> SearchAdapter:
    spec = ct.search
    return SearchAdapter(
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


def register_all() -> list[str]:
    """Register an adapter for every searchable content type; returns their names."""
    done = []
    for ct in content.all_types():
        if ct.search is not None:
            register(adapter_for(ct))
            done.append(ct.name)
    return done
