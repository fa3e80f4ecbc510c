"""The registry of unit-owned and audience-scoped models (the BOLA harness reads it).

Every model whose rows belong to a unit, are addressed to an audience unit or are one
member's own record says so next to its class, once:

    @scoped(unit="owner_unit", audience="audience_unit", routes=("book",))
    class Book(models.Model): ...

or, for a model defined elsewhere, `scoped(...)(Model)` right after it. A model with a
foreign key to `OrgUnit` that no unit scope applies to is exempted with its reason:
`scope_exempt(reason="...")`.

What an entry says:

unit      lookup path from the model to the OrgUnit that owns a row and whose subtree's
          role holders manage it ("owner_unit", "periodical__owner_unit"; "" for OrgUnit
          itself)
audience  lookup path to the OrgUnit whose subtree's members may read a row
member    lookup path to the Member whose own record a row is (an exam attempt)
routes    the resource names its URLs are named after: "book" claims `api:book-detail`,
          `api:book-file`, `portal:book_detail`, `portal:book_read` — every API and portal
          URL (and project admin URL) whose name, without its namespace or with it
          ("media_pipeline_admin:detail"), is the name or starts with it followed by "-"
          or "_" ("_" and "-" are the same). The longest
          matching name wins ("periodical-issue" over "periodical"). Default: the model
          name. Wagtail's admin URLs (viewsets, snippets, choosers, page views) are found
          from Wagtail's own registries and need no name here.

Nothing here decides access — `organizations.selectors` does; this only lists what must
be decided, so `tests/security/test_bola.py` can try an out-of-scope id on every URL that
serves each model, as every role, and fail on a model with a unit field that is in
neither list (docs/architecture.md "The BOLA harness").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_REGISTRY: dict[type, ScopedModel] = {}
_EXEMPT: dict[type, str] = {}


@dataclass(frozen=True)
class ScopedModel:
    model: type
    unit: str | None = None
    audience: str | None = None
    member: str | None = None
    routes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return self.model._meta.label


def _norm(name: str) -> str:
    return re.sub(r"[_\-]+", "-", name.lower())


def scoped(
    *,
    unit: str | None = None,
    audience: str | None = None,
    member: str | None = None,
    routes: tuple[str, ...] | None = None,
):
    """Class decorator: register the model with its unit / audience / member lookups."""
    if unit is None and audience is None and member is None:
        raise ValueError("scoped(): give at least one of unit=, audience=, member=")

    def register(model):
        names = routes if routes is not None else (model._meta.model_name,)
        _REGISTRY[model] = ScopedModel(
            model=model,
            unit=unit,
            audience=audience,
            member=member,
            routes=tuple(_norm(r) for r in names),
        )
        return model

    return register


def scope_exempt(*, reason: str):
    """Class decorator: the model has a unit field, but no unit scope applies to it."""
    if not reason.strip():
        raise ValueError("scope_exempt(): say why")

    def register(model):
        _EXEMPT[model] = reason
        return model

    return register


def scoped_models() -> list[ScopedModel]:
    """Every registered model, in a stable order (by label)."""
    return sorted(_REGISTRY.values(), key=lambda e: e.label)


def scoped_entry(model) -> ScopedModel | None:
    return _REGISTRY.get(model)


def scope_exemptions() -> dict[type, str]:
    return dict(_EXEMPT)


def route_owners(url_name: str) -> list[ScopedModel]:
    """The registered models a URL named `url_name` ("api:book-file") serves by id: those
    whose route name is the longest one the URL's name (namespace dropped) starts with."""
    names = {_norm(url_name.rsplit(":", 1)[-1]), _norm(url_name.replace(":", "-"))}
    best, owners = 0, []
    for entry in scoped_models():
        for route in entry.routes:
            if any(name == route or name.startswith(route + "-") for name in names):
                if len(route) > best:
                    best, owners = len(route), [entry]
                elif len(route) == best and entry not in owners:
                    owners.append(entry)
    return owners
