"""The outlet registry (阵地备案): its rules and reads (writes: cms/outlet_services.py).

Rules (docs/architecture.md "Outlets and the audit log"):
- who manages: secretaries and unit admins (`OUTLET_ROLES`) register and change the
  outlets of units in their subtree (the admin's one scope rule);
- who approves: a secretary or unit admin of a *strict ancestor* of the owning unit (the
  upper level); outlets of the top unit, which has none, by a superuser;
- which outlets an item may go out through: those owned by its publishing unit or an
  ancestor of it (a branch may use the group's portal and app, not a sibling's account);
  portal outlets only for the section the item lives in. An item that chooses none goes
  out through its section's portal outlet and the app (`outlets_default_for`);
- an outlet carries a publication only while it is active, approved and names an
  accountable owner: any publish is refused otherwise (`publication_refuse_unavailable`,
  called by `UnitScopedPage.publish`, so every route — edit form, publish button, workflow
  approval, bulk publish, scheduled publishing — is covered);
- what "stops publication" means once an outlet is suspended or closed: a portal outlet
  stops the portal from serving what went out through it, the app outlet stops the API
  (`served_q`); for outlets e-Home does not serve itself (WeChat, Weibo, websites,
  screens) nothing new may be published through them, and the registry lists what went
  out through them for the accountable owner to take down there.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from wagtail.models import Page

from cms.models import AuditEntry, AuditEntryOutlet, Outlet
from cms.models.outlets import display_name
from core.errors import DomainError
from organizations.models import OrgUnit
from organizations.permissions import UnitScopedPermissionPolicy
from organizations.selectors import scope_for

OUTLET_ROLES = ("secretary", "unit_admin")
APP_CODE = "app"


class OutletUnavailable(DomainError):
    """A publication through an outlet that may not carry one; nothing was published.
    (Not a PermissionDenied: the admin would swallow that into a generic 没有权限 page;
    cms.middleware.OutletRefusalMiddleware shows this message instead.)"""

    code = "outlet_unavailable"
    status = 409


class OutletPermissionPolicy(UnitScopedPermissionPolicy):
    """The admin's one scope rule for outlets; registry entries are never deleted (an
    outlet that is no longer used is closed, so the record of what went out through it
    keeps pointing at it)."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)


#: secretaries and unit admins manage the outlets of their subtree; an item's outlets may
#: be *chosen* by whoever may read the owning unit's content (its own and the units above)
OUTLET_POLICY = OutletPermissionPolicy(
    Outlet,
    scope_field="owner_unit__path",
    roles=OUTLET_ROLES,
    model_perms=False,
    choose_field="owner_unit__path",
)


person_name = display_name


# --- reads ------------------------------------------------------------------------------
def outlet_problem(outlet: Outlet) -> str | None:
    """Why `outlet` may not carry a publication now (None: it may)."""
    label = f"阵地“{outlet.name}”"
    if outlet.status == Outlet.Status.SUSPENDED:
        reason = f"（{outlet.status_reason}）" if outlet.status_reason else ""
        return f"{label}已暂停{reason}，不能通过它发布"
    if outlet.status == Outlet.Status.CLOSED:
        return f"{label}已关停，不能通过它发布"
    if not outlet.is_approved:
        return f"{label}尚未经上级党组织批准备案，不能通过它发布"
    if outlet.owner_id is None:
        return f"{label}尚未指定责任人，不能通过它发布；请先在“阵地备案”中登记责任人"
    return None


def _with_related(qs: QuerySet[Outlet]) -> QuerySet[Outlet]:
    return qs.select_related("owner", "owner_unit", "section")


def section_path_of(page) -> str | None:
    """The path of the section (portal outlet) a content page lives in."""
    return page.path[: -Page.steplen] if getattr(page, "path", None) else None


def outlets_default_for(page=None, *, section_path: str | None = None) -> list[Outlet]:
    """The outlets of an item that chose none: its section's portal outlet and the app."""
    section_path = section_path or (section_path_of(page) if page is not None else None)
    q = Q(code=APP_CODE)
    if section_path:
        q |= Q(kind=Outlet.Kind.PORTAL, section__path=section_path)
    return list(_with_related(Outlet.objects.filter(q)).order_by("id"))


def outlets_of(page) -> list[Outlet]:
    """The outlets `page` (a page or a revision's page object) goes out through."""
    chosen = list(page.outlets.all()) if hasattr(page, "outlets") else []
    if not chosen:
        return outlets_default_for(page)
    ids = [o.pk for o in chosen]
    return list(_with_related(Outlet.objects.filter(pk__in=ids)).order_by("id"))


def outlet_allowed_for_unit(outlet: Outlet, unit: OrgUnit | None) -> bool:
    return unit is not None and unit.path.startswith(outlet.owner_unit.path)


def outlet_placement_problems(
    outlets: list[Outlet], *, unit: OrgUnit | None, section_path: str | None
) -> list[str]:
    """Outlets an item may never use: another unit's (not its publishing unit's or an
    ancestor's), or another portal section than the one it lives in."""
    problems: list[str] = []
    for outlet in outlets:
        if not outlet_allowed_for_unit(outlet, unit):
            problems.append(
                f"阵地“{outlet.name}”属于{outlet.owner_unit.name}，"
                f"{unit.name if unit else '本单位'}的内容不能通过它发布"
            )
        elif outlet.kind == Outlet.Kind.PORTAL and section_path and outlet.section_id:
            if outlet.section.path != section_path:
                problems.append(f"阵地“{outlet.name}”是门户的另一个栏目，本内容不在该栏目下")
    return problems


def publication_problems(
    outlets: list[Outlet], *, unit: OrgUnit | None, section_path: str | None
) -> list[str]:
    """Everything that forbids publishing through `outlets` now, as messages."""
    problems = outlet_placement_problems(outlets, unit=unit, section_path=section_path)
    problems += [p for p in (outlet_problem(o) for o in outlets) if p]
    return problems


def publication_refuse_unavailable(*, page) -> None:
    """Raise OutletUnavailable (naming each outlet) unless `page` — a revision's page
    object — may go out through all its outlets now."""
    problems = publication_problems(
        outlets_of(page),
        unit=getattr(page, "publishing_unit", None),
        section_path=section_path_of(page),
    )
    if problems:
        raise OutletUnavailable("；".join(problems))


_SERVED_Q: dict[str, Q] = {}


def served_q(kind: str) -> Q:
    """Q over content pages: served through outlets of `kind` (portal or app).

    The live revision's publication record decides: it is served when it went out
    through an active outlet of that kind. A live page with no record (loaded outside
    publishing, e.g. bulk-generated data) is served as before the registry existed.
    Built once per kind (every content list asks for it; Q objects are not mutated by
    the querysets that use them)."""
    if kind not in _SERVED_Q:
        _SERVED_Q[kind] = _served_q(kind)
    return _SERVED_Q[kind]


def _served_q(kind: str) -> Q:
    rows = AuditEntryOutlet.objects.filter(
        entry__action=AuditEntry.Action.PUBLISH,
        entry__page_id=OuterRef("pk"),
        entry__revision_id=OuterRef("live_revision_id"),
    )
    active = rows.filter(outlet__kind=kind, outlet__status=Outlet.Status.ACTIVE)
    return ~Exists(rows) | Exists(active)


def page_served_through(page, kind: str) -> bool:
    return type(page).objects.filter(pk=page.pk).filter(served_q(kind)).exists()


def page_served(page) -> bool:
    """Live and served through the app or the portal (what search may list)."""
    if not getattr(page, "live", False):
        return False
    q = served_q(Outlet.Kind.APP) | served_q(Outlet.Kind.PORTAL)
    return type(page).objects.filter(pk=page.pk).filter(q).exists()


def pages_published_through(outlet: Outlet) -> list[int]:
    """Ids of the pages whose live revision went out through `outlet`."""
    rows = AuditEntryOutlet.objects.filter(outlet=outlet, entry__action=AuditEntry.Action.PUBLISH)
    return sorted(
        Page.objects.filter(
            Exists(
                rows.filter(
                    entry__page_id=OuterRef("pk"), entry__revision_id=OuterRef("live_revision_id")
                )
            )
        ).values_list("pk", flat=True)
    )


def outlets_in_scope(user) -> QuerySet[Outlet]:
    """Outlets a user manages (secretaries and unit admins, their subtree)."""
    return OUTLET_POLICY.scoped(user).select_related("owner_unit", "owner", "deputy")


def outlets_visible_to_auditor(user, roles) -> QuerySet[Outlet]:
    """Outlets whose owning unit lies in the subtree of a unit where `user` holds one of
    `roles`, plus the outlets of the units above (the group's portal and app, which the
    subtree's content goes out through)."""
    qs = Outlet.objects.select_related("owner_unit", "owner", "deputy", "approved_by")
    scope = scope_for(user, roles=roles)
    if not scope.has_role:
        return qs.none()
    return qs.filter(scope.units_and_ancestors_q("owner_unit__path"))


def outlet_can_manage(user, unit: OrgUnit) -> bool:
    return scope_for(user, roles=OUTLET_ROLES).covers(unit.path)


def outlet_can_approve(user, outlet: Outlet) -> bool:
    """Upper level only: a role (secretary, unit admin) on a strict ancestor of the
    owning unit; superusers for outlets of a top unit."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return scope_for(user, roles=OUTLET_ROLES).covers(outlet.owner_unit.path, strictly=True)
