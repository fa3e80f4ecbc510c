"""Which URLs serve which registered model, found from the URL resolver and Wagtail's
registries (the BOLA harness, test_bola.py).

A URL that takes an object's id is claimed by a registered model (organizations.registry)
through, in this order:
1. Wagtail's viewset registry (snippets, ModelViewSets, choosers): the viewset's model;
2. a page id in the URL (Wagtail's page views, the admin API's pages): every registered
   page model;
3. the bulk-action view: every registered model with bulk actions (ids in the query), and
   views for an object of any model (app label, model name, object id): every model;
4. the registry's route names (`routes=`): API, portal and the project's own admin views.
Anything else that takes an id must be listed in `EXEMPT_URLS` with the reason no
unit-owned object is behind it — or `test_every_url_that_takes_an_id_is_claimed` fails.

A URL that serves several models (Wagtail's page views serve every page type, the
auditors' trace any content page) is one view whatever the type: the models take turns
(`UrlCase.turn`), so every role tries it once, each time with one of the models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.models import Page

from organizations.registry import ScopedModel, route_owners, scoped_entry, scoped_models

MISSING_ID = 2_000_000_000

#: URL kwargs that name a page in Wagtail's admin (the first one present is the object)
PAGE_KWARGS = ("page_id", "page_to_move_id", "parent_page_id", "page_pk")
#: every other kwarg a claimed URL may have, and what the harness puts there
FILLED_KWARGS = {
    "name": lambda obj, world: "master.m3u8",  # api:media-hls: a file of the asset
    "revision_id": lambda obj, world: obj.latest_revision_id or MISSING_ID,
    "destination_id": lambda obj, world: world.home.pk,
    "content_type_app_name": lambda obj, world: obj._meta.app_label,
    "content_type_model_name": lambda obj, world: obj._meta.model_name,
    "app_label": lambda obj, world: obj._meta.app_label,
    "model_name": lambda obj, world: obj._meta.model_name,
    # workflow steps: the objects have none in flight; the page id is checked first
    "action_name": lambda obj, world: "approve",
    "task_state_id": lambda obj, world: MISSING_ID,
    "workflow_state_id": lambda obj, world: MISSING_ID,
    "task_id": lambda obj, world: MISSING_ID,
    "session_id": lambda obj, world: MISSING_ID,
    "workflow_pk": lambda obj, world: world.workflow_id,
    # a bulletin's manuscript images: the first (the harness's issues carry one)
    "position": lambda obj, world: 1,
}

#: URLs that take an id but serve nothing unit-owned, by name prefix, with the reason
EXEMPT_URLS = {
    "api:engagement-": "engagement events/stats on a <kind>/<id> item: resolved through the "
    "content apps' selectors (interaction.engagement.items.access_item); out of scope = 404 "
    "in tests/interaction/engagement/test_engagement.py",
    "portal:engagement_": "portal like/share/stats of a <kind>/<id> item: as api:engagement-",
    "admin:": "Django's own admin (/django-admin/): superusers only, no unit-owned model",
    "wagtailadmin_api:documents:": "Wagtail documents: no unit (files of pages, admin-wide)",
    "wagtailadmin_api:images:": "Wagtail images: no unit (covers, portraits, admin-wide)",
    "wagtaildocs": "Wagtail documents: no unit",
    "wagtailimages": "Wagtail images: no unit",
    "wagtailadmin_collections:": "collections of images/documents: no unit",
    "wagtailadmin_workflows:": "workflow definitions (superusers); page ids are checked "
    "by cms.middleware as in every page view",
    "wagtailredirects:": "redirects: site-wide, superusers",
    "wagtailsettings:": "site settings: superusers",
    "wagtailadmin_editing_sessions:release": "a session id of the caller's own editing",
    "wagtailcore_authenticate_with_password": "page view restrictions: not used by e-Home",
    "user_logout_everywhere": "Wagtail's users admin: holders of auth.change_user only "
    "(site-wide administrators); members are ended through member_logout_everywhere",
}


@dataclass(frozen=True)
class UrlCase:
    model: type
    surface: str  # "api", "portal" or "admin"
    name: str
    id_kwarg: str | None  # None: the id goes in the query (bulk actions)
    kwargs: tuple[str, ...]
    methods: tuple[str, ...]
    query: str = ""
    fixed: tuple[tuple[str, str], ...] = ()  # kwargs with a value of their own
    turn: tuple[int, int] = (0, 1)  # (this model's turn, models sharing the URL)

    @property
    def label(self) -> str:
        extra = "".join(f"-{v}" for _, v in self.fixed)
        return f"{self.model._meta.label}-{self.name}{extra}"

    def url(self, obj, world, object_id=None) -> str:
        oid = obj.pk if object_id is None else object_id
        values = dict(self.fixed)
        for k in self.kwargs:
            if k == self.id_kwarg:
                values[k] = oid
            elif k not in values:
                values[k] = FILLED_KWARGS[k](obj, world)
        url = reverse(self.name, kwargs=values)
        return url + (f"?{self.query.format(id=oid)}" if self.query else "")


def _walk(patterns, ns="", prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(
                p.url_patterns,
                ns + (f"{p.namespace}:" if p.namespace else ""),
                prefix + str(p.pattern),
            )
        elif isinstance(p, URLPattern) and p.name:
            kwargs = set(getattr(p.pattern, "converters", {}))
            regex = getattr(p.pattern, "regex", None)
            if regex is not None:
                kwargs |= set(regex.groupindex)
            yield ns + p.name, prefix + str(p.pattern), p, tuple(sorted(kwargs))


def _surface(name: str, route: str) -> str:
    if name.startswith("api:"):
        return "api"
    if name.startswith("portal:"):
        return "portal"
    return "admin" if route.startswith("admin/") else "other"


def _methods(surface: str, pattern: URLPattern) -> tuple[str, ...]:
    cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    if surface == "api" and cls is not None:
        return tuple(m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m))
    return ("get", "post")


def _is_id(kwarg: str) -> bool:
    return kwarg in ("pk", "id", "object_id") or kwarg.endswith(("_id", "_pk"))


def _viewset_models() -> dict[str, type]:
    from wagtail.admin.viewsets import viewsets as registry

    reverse("wagtailadmin_home")  # the admin URLconf, and with it the viewsets, is loaded
    found = {}
    for vs in registry.viewsets:
        model = getattr(vs, "model", None)
        if isinstance(model, str):
            model = apps.get_model(model)
        if model is None:
            continue
        for p in vs.get_urlpatterns():
            if getattr(p, "name", None):
                found[vs.get_url_name(p.name)] = model
    return found


def _wagtail_edited(viewset_models: dict[str, type]) -> list[type]:
    edited = {m for m in viewset_models.values() if hasattr(m, "snippet_viewset")}
    return [e.model for e in scoped_models() if e.model in edited or issubclass(e.model, Page)]


#: URL names that serve an object of any model (not counted as "serves this model")
GENERIC_URLS = ("wagtailadmin_editing_sessions:ping",)


def _page_entries() -> list[ScopedModel]:
    return [e for e in scoped_models() if issubclass(e.model, Page)]


def _bulk_cases() -> list[UrlCase]:
    from wagtail.admin.views.bulk_action.registry import bulk_action_registry

    cases = []
    for entry in scoped_models():
        meta = entry.model._meta
        actions = bulk_action_registry.actions.get(meta.app_label, {}).get(meta.model_name, {})
        for action in sorted(actions):
            if issubclass(entry.model, Page):
                continue  # pages: their own bulk actions are found below
            cases.append(
                UrlCase(
                    model=entry.model,
                    surface="admin",
                    name="wagtail_bulk_action",
                    id_kwarg=None,
                    kwargs=("app_label", "model_name", "action"),
                    methods=("get", "post"),
                    query="id={id}",
                    fixed=(("action", action),),
                )
            )
    return cases


def discover() -> tuple[list[UrlCase], list[tuple[str, str]], dict[str, str]]:
    """(cases, unclaimed [(name, route)], exempted {name: reason})."""
    viewset_models = _viewset_models()
    cases: list[UrlCase] = []
    unclaimed: list[tuple[str, str]] = []
    exempted: dict[str, str] = {}
    for name, route, pattern, kwargs in _walk(get_resolver().url_patterns):
        ids = [k for k in kwargs if _is_id(k)]
        if not ids and name != "wagtail_bulk_action":
            continue
        surface = _surface(name, route)
        methods = _methods(surface, pattern)
        owners: list[tuple[type, str]] = []
        if name == "wagtail_bulk_action":
            continue  # _bulk_cases
        if name in viewset_models:
            model = viewset_models[name]
            if scoped_entry(model) is None:
                exempted[name] = f"admin of {model._meta.label}, a model without a unit"
                continue
            owners = [(model, ids[0])]
        elif {"app_label", "model_name", "object_id"} <= set(kwargs):
            # a view for an object of any model Wagtail edits (the editing sessions' ping:
            # it answers 404 for every other model before it asks any permission)
            owners = [(m, "object_id") for m in _wagtail_edited(viewset_models)]
        elif surface == "admin" and (
            set(kwargs) & set(PAGE_KWARGS) or name.startswith("wagtailadmin_api:pages:")
        ):
            id_kwarg = next((k for k in PAGE_KWARGS if k in kwargs), "pk")
            owners = [(e.model, id_kwarg) for e in _page_entries()]
        else:
            entries = route_owners(name)
            if entries:
                id_kwarg = next(k for k in ("pk", "id", *ids) if k in kwargs)
                owners = [(e.model, id_kwarg) for e in entries]
        if not owners:
            reason = next((r for p, r in EXEMPT_URLS.items() if name.startswith(p)), None)
            if reason is None:
                unclaimed.append((name, route))
            else:
                exempted[name] = reason
            continue
        for i, (model, id_kwarg) in enumerate(owners):
            if any(k != id_kwarg and k not in FILLED_KWARGS for k in kwargs):
                unclaimed.append((name, f"{route}: no value for {kwargs}"))
                continue
            turn = (i, len(owners))
            cases.append(UrlCase(model, surface, name, id_kwarg, kwargs, methods, turn=turn))
    cases += _bulk_cases()
    return sorted(cases, key=lambda c: c.label), unclaimed, exempted


def normalise_location(location: str) -> str:
    return re.sub(r"\d+", "N", location or "")
