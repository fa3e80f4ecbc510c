"""BOLA (broken object-level authorisation): no URL hands out another subtree's object.

Generic on purpose (docs/architecture.md "The BOLA harness"): the models come from
`organizations.registry` (declared next to each model), the URLs from the URL resolver
and Wagtail's registries (tests/security/urls.py), the objects from the models' fields
(tests/security/conftest.py). For every registered model there is one object in unit B's
subtree ("theirs"); every API, portal and admin URL that serves the model is requested
with its id by a member of A1 holding each role on A (and by a plain member), with every
method the URL answers, and must answer exactly what it answers for an id that does not
exist — 404 in the API and the portal; in the admin 404, or the refusal Wagtail gives
before it looks at any object (the login redirect for a member, the "no permission"
redirect for a role without the model permission). Nothing of theirs may show in the
answer, and nothing of theirs may change. A control per URL proves the probe means
something: the same URL tells an object in the caller's scope from a missing one.

A model with a foreign key to OrgUnit that is neither registered nor exempted fails; so
does a URL that takes an id and is claimed by no registered model and not exempted.
"""

from __future__ import annotations

import json
import uuid
import warnings
import zlib

import pytest
from django.apps import apps
from wagtail.models import Page

from organizations.models import Member, OrgUnit
from organizations.registry import scope_exemptions, scoped_entry, scoped_models
from tests.security.conftest import ROLES, THEIRS
from tests.security.urls import (
    EXEMPT_URLS,
    GENERIC_URLS,
    MISSING_ID,
    discover,
    normalise_location,
)

CASES, UNCLAIMED, EXEMPTED = discover()
ENTRIES = scoped_models()


#: Who tries each URL: a plain member, the holder of every role ("all": what any one role
#: reaches, the union reaches too — a role that leaked would leak to it) and one
#: single-role holder, the roles taking turns over the URLs so each is tried alone on
#: about one URL in ten. (Eleven callers per URL made the harness 3,300 requests.)
def _callers(case) -> tuple[str, ...]:
    single = ROLES[1:]
    return ("member", "all", single[zlib.crc32(case.label.encode()) % len(single)])


#: (URL case, role); a URL several models share is tried with each model in turn
#: (tests/security/urls.py)
PROBES = [
    (case, role)
    for case in CASES
    for i, role in enumerate(_callers(case))
    if i % case.turn[1] == case.turn[0]
]
#: the in-scope controls: one per URL (a shared URL's with one of its models, in turn)
CONTROLS = [c for c in CASES if c.turn[0] == zlib.crc32(c.name.encode()) % c.turn[1]]

#: answers that do not depend on the object: the same for theirs as for a missing id
ROLE_REFUSALS = {
    # e.g. the auditors' API refuses non-auditors before any lookup; never 401: every
    # caller is logged in, and a 401 would make the probe prove nothing
    "api": {403, 405},
    "portal": {405},
    "admin": {302, 403, 405},  # Wagtail: login redirect, "no permission" redirect
}
#: URLs (by name prefix) whose in-scope control cannot tell an object from a missing id,
#: and why — the probe still runs on them
NO_CONTROL = {
    "wagtailadmin_pages:workflow_action": "no workflow task in flight (task_state_id)",
    "wagtailadmin_pages:collect_workflow_action_data": "no workflow task in flight",
    "wagtailadmin_pages:workflow_preview": "no workflow task in flight (task_id)",
    "wagtailadmin_pages:workflow_history_detail": "no workflow in flight",
    "wagtailadmin_api:pages:action": "no workflow in flight to act on",
    "wagtailadmin_pages:convert_alias": "the pages are not aliases",
    "wagtailadmin_pages:revisions_index": "an old URL: redirects to the history, any id",
    "wagtailadmin_editing_sessions:ping": "ping answers 404 for a session it does not know",
    "wagtailforms:": "form submissions: the pages are not form pages (e-Home has none)",
    "manuscript_bulletin_chooser:chosen": "the bulletin's chooser offers only manuscripts "
    "adopted for the bulletin; the harness's are submitted (in scope: "
    "tests/publications/test_bulletins_scope.py)",
    "api:media-hls": "a signed link (?t=): the token decides, not the caller "
    "(tests/media_pipeline/test_api.py)",
}


def _body(resp) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def _answer(resp, surface: str) -> tuple:
    """What a prober sees of an answer, ids left out."""
    code = None
    if surface == "api" and resp.get("Content-Type", "").startswith("application/json"):
        try:
            code = json.loads(_body(resp) or b"{}").get("error", {}).get("code")
        except (ValueError, AttributeError):
            code = "unparsable"
    return resp.status_code, normalise_location(resp.get("Location")), code


def _request(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    if hasattr(client, "credentials"):  # the API: writes carry an idempotency key
        key = uuid.uuid4().hex
        return getattr(client, method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return getattr(client, method)(url)


def _missing(world, case, role, method, client, obj):
    key = (case.name, case.fixed, role, method, case.url(obj, world, MISSING_ID))
    if key not in world.missing:
        resp = _request(client, method, key[-1])
        world.missing[key] = _answer(resp, case.surface)
    return world.missing[key]


# --- registration ---------------------------------------------------------------------------
def _unit_fields(model) -> list[str]:
    return [
        f.name
        for f in model._meta.get_fields()
        if f.concrete and f.is_relation and f.related_model is OrgUnit and not f.auto_created
    ]


def test_every_model_with_a_unit_field_is_registered_or_exempt():
    """A new model with a unit or audience field joins the harness by being registered next
    to its class (`@scoped(...)`) — or says why not (`@scope_exempt(reason=...)`)."""
    exempt = scope_exemptions()
    missing = [
        f"{m._meta.label} ({', '.join(_unit_fields(m))})"
        for m in apps.get_models()
        if _unit_fields(m) and scoped_entry(m) is None and m not in exempt
    ]
    assert not missing, (
        "models with a unit field that are neither registered nor exempted in "
        f"organizations.registry: {missing}"
    )


def _resolves_to(model, path: str, target) -> bool:
    if path == "":
        return model is target
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if not field.is_relation:
            return False
        model = field.related_model
    return model is target


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.label)
def test_registered_lookups_lead_to_a_unit_or_member(entry):
    for path, target in ((entry.unit, OrgUnit), (entry.audience, OrgUnit), (entry.member, Member)):
        if path is not None:
            assert _resolves_to(entry.model, path, target), f"{entry.label}: {path!r}"


def test_every_url_that_takes_an_id_is_claimed():
    """A new URL that takes an id is tried by the harness as soon as its name matches a
    registered model's route (or it is a Wagtail view of a registered model); one that
    matches nothing fails here until it is claimed or exempted with its reason."""
    assert not UNCLAIMED, f"URLs that take an id and serve no registered model: {UNCLAIMED}"


def test_every_url_exemption_still_names_a_url():
    stale = [p for p in EXEMPT_URLS if not any(name.startswith(p) for name in EXEMPTED)]
    assert not stale, f"EXEMPT_URLS entries that match no URL any more: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.label)
def test_every_registered_model_is_built_and_served(world, entry):
    assert entry.model not in world.build_errors, (
        f"{entry.label} cannot be built generically ({world.build_errors.get(entry.model)}): "
        "declare its factory in tests/security/conftest.py (FACTORIES)"
    )
    assert entry.model in world.theirs and entry.model in world.mine
    if not any(c.model is entry.model and c.name not in GENERIC_URLS for c in CASES):
        warnings.warn(f"BOLA harness: {entry.label}: no URL serves it", stacklevel=1)


# --- the probe --------------------------------------------------------------------------------
# Marked like every test of the module that uses the world: pytest-django runs such tests
# before transactional ones (whose flush would take Wagtail's root page with it), and the
# module's tests stay together, so the world is built once per worker.
@pytest.mark.django_db
@pytest.mark.parametrize(("case", "role"), PROBES, ids=[f"{c.label}-{r}" for c, r in PROBES])
def test_out_of_scope_object_is_not_found(world, case, role):
    obj = world.theirs[case.model]
    client = world.client(role, case.surface)
    url = case.url(obj, world)
    for method in case.methods:
        resp = _request(client, method, url)
        theirs = _answer(resp, case.surface)
        missing = _missing(world, case, role, method, client, obj)
        where = f"{method.upper()} {url} as {role}"
        assert THEIRS.encode() not in _body(resp), f"{where} shows another subtree's object"
        assert theirs == missing, f"{where} → {theirs}, a missing id → {missing}"
        assert theirs[0] == 404 or theirs[0] in ROLE_REFUSALS[case.surface], f"{where} → {theirs}"
    rows = case.model._default_manager.filter(pk=obj.pk)
    assert rows.exists(), f"{case.label}: another subtree's object was deleted"
    if issubclass(case.model, Page):
        assert rows.get().live, f"{case.label}: another subtree's page was unpublished"


@pytest.mark.django_db  # in scope, a POST may change the object: rolled back after the test
@pytest.mark.parametrize("case", CONTROLS, ids=lambda c: c.label)
def test_in_scope_object_is_told_from_a_missing_one(world, case):
    """The control: the probe above means something only if the URL, as a user holding
    every role on A, answers an object of A's subtree differently from a missing id."""
    reason = next((r for p, r in NO_CONTROL.items() if case.name.startswith(p)), None)
    if reason is not None:
        pytest.skip(reason)
    obj = world.mine[case.model]
    client = world.client("all", case.surface)
    url = case.url(obj, world)
    answers = []
    for method in case.methods:
        mine = _answer(_request(client, method, url), case.surface)
        missing = _missing(world, case, "all", method, client, obj)
        answers.append((method, mine, missing))
        if mine != missing:
            return
    pytest.fail(f"{url}: in scope answered like a missing id: {answers}")


@pytest.mark.django_db
def test_admin_api_page_listing_leaves_out_other_units_pages(world):
    """Not an id, but the same leak: the admin API's page listing (the sidebar's explorer)
    showed every unit's page titles to any editor."""
    from cms.models import NewsPage

    client = world.client("editor", "web")
    channel = world.theirs[NewsPage].get_parent().pk
    for query in (f"child_of={channel}", "search=BOLA", "type=cms.NewsPage", ""):
        body = _body(client.get(f"/admin/api/main/pages/?{query}"))
        assert THEIRS.encode() not in body, query
    assert b"BOLAMINE" in _body(client.get(f"/admin/api/main/pages/?child_of={channel}"))
