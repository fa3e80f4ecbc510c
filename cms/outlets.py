"""The outlet registry (阵地备案): reads and writes.

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

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from cms.models import AuditEntry, AuditEntryOutlet, Outlet
from cms.models.outlets import display_name
from cms.signals import outlet_served_changed
from organizations.models import OrgUnit
from organizations.permissions import UnitScopedPermissionPolicy
from organizations.selectors import role_paths, unit_in_scope, user_has_global_scope

OUTLET_ROLES = ("secretary", "unit_admin")
APP_CODE = "app"
APP_NAME = "党建e家 App"
BUILTIN_NOTE = "系统内置阵地，安装时登记"
#: fields a change of which is written to the audit log, with their labels
TRACKED_FIELDS = {
    "name": "名称",
    "kind": "类型",
    "owner_unit": "主办单位",
    "owner": "责任人",
    "deputy": "副责任人",
    "address": "网址/账号",
    "status": "状态",
    "status_reason": "状态说明",
}


class OutletError(Exception):
    """A registry write the rules refuse; the message is for people."""


class OutletUnavailable(Exception):
    """A publication through an outlet that may not carry one; nothing was published.
    (Not a PermissionDenied: the admin would swallow that into a generic 没有权限 page;
    cms.middleware.OutletRefusalMiddleware shows this message instead.)"""


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


def _section_path(page) -> str | None:
    return page.path[: -Page.steplen] if getattr(page, "path", None) else None


def outlets_default_for(page=None, *, section_path: str | None = None) -> list[Outlet]:
    """The outlets of an item that chose none: its section's portal outlet and the app."""
    section_path = section_path or (_section_path(page) if page is not None else None)
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
        section_path=_section_path(page),
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
    if user_has_global_scope(user):
        return qs
    paths = role_paths(user, roles)
    if not paths:
        return qs.none()
    ancestors = {p[:i] for p in paths for i in range(OrgUnit.steplen, len(p), OrgUnit.steplen)}
    q = Q(owner_unit__path__in=sorted(ancestors))
    for p in paths:
        q |= Q(owner_unit__path__startswith=p)
    return qs.filter(q)


def outlet_can_manage(user, unit: OrgUnit) -> bool:
    return unit_in_scope(user, unit, roles=OUTLET_ROLES)


def outlet_can_approve(user, outlet: Outlet) -> bool:
    """Upper level only: a role (secretary, unit admin) on a strict ancestor of the
    owning unit; superusers for outlets of a top unit."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    unit_path = outlet.owner_unit.path
    if user.is_superuser:
        return True
    return any(unit_path.startswith(p) and p != unit_path for p in role_paths(user, OUTLET_ROLES))


# --- writes -----------------------------------------------------------------------------
def _audit(outlet: Outlet, *, action: str, user, comment: str = "", data=None) -> None:
    from cms.audit_log import audit_entry_create

    audit_entry_create(
        action=action,
        operator=user,
        unit=outlet.owner_unit,
        object_type="宣传阵地",
        object_label=outlet.name,
        outlets=[outlet],
        comment=comment,
        data=data or {},
    )


def _check_kind(user, kind: str) -> None:
    if kind in Outlet.SERVED_KINDS and not user.is_superuser:
        raise OutletError("门户网站栏目和党建e家 App 是系统内置阵地，由系统登记，不能另行登记")


@transaction.atomic
def outlet_register(
    *,
    user,
    name: str,
    kind: str,
    owner_unit: OrgUnit,
    owner=None,
    deputy=None,
    address: str = "",
    status: str = Outlet.Status.ACTIVE,
    status_reason: str = "",
) -> Outlet:
    """A unit registers an outlet; it carries publications once the upper level approves."""
    if not outlet_can_manage(user, owner_unit):
        raise OutletError("只能为本单位或下级单位登记阵地")
    _check_kind(user, kind)
    if status == Outlet.Status.CLOSED:
        raise OutletError("新登记的阵地不能是“关停”状态")
    outlet = Outlet.objects.create(
        name=name,
        kind=kind,
        owner_unit=owner_unit,
        owner=owner,
        deputy=deputy,
        address=address,
        status=status,
        status_reason=status_reason,
        registered_by=user,
    )
    _audit(
        outlet,
        action=AuditEntry.Action.OUTLET_REGISTER,
        user=user,
        comment=f"登记{outlet.get_kind_display()}“{name}”，责任人：{person_name(owner) or '未指定'}",
    )
    return outlet


def _display(outlet: Outlet, field: str) -> str:
    value = getattr(outlet, field)
    if field in ("owner", "deputy"):
        return person_name(value) or "未指定"
    if field == "owner_unit":
        return value.name
    if field in ("kind", "status"):
        return getattr(outlet, f"get_{field}_display")()
    return value or "（空）"


@transaction.atomic
def outlet_update(*, outlet: Outlet, user, **fields) -> Outlet:
    """Change a registry entry; every change is written to the audit log. A closed
    outlet cannot be reopened; a suspended one is resumed only by the upper level."""
    current = Outlet.objects.select_for_update().select_related("owner_unit").get(pk=outlet.pk)
    if not outlet_can_manage(user, current.owner_unit):
        raise OutletError("只能修改本单位或下级单位的阵地")
    new_unit = fields.get("owner_unit", current.owner_unit)
    if new_unit.pk != current.owner_unit_id and not outlet_can_manage(user, new_unit):
        raise OutletError("主办单位只能改为本单位或下级单位")
    if fields.get("kind", current.kind) != current.kind:
        _check_kind(user, fields["kind"])
        if current.builtin:
            raise OutletError("系统内置阵地的类型不能修改")
    status = fields.get("status", current.status)
    if current.status == Outlet.Status.CLOSED and status != Outlet.Status.CLOSED:
        raise OutletError(f"阵地“{current.name}”已关停，不能重新启用；如需恢复请重新登记")
    if (
        current.status == Outlet.Status.SUSPENDED
        and status == Outlet.Status.ACTIVE
        and not outlet_can_approve(user, current)
    ):
        raise OutletError(f"阵地“{current.name}”已暂停，只有上级党组织可以恢复")
    before = {f: _display(current, f) for f in TRACKED_FIELDS}
    for field, value in fields.items():
        if field not in TRACKED_FIELDS:
            raise TypeError(f"unknown outlet field {field}")
        setattr(current, field, value)
    current.save()
    changes = {
        f: {"from": before[f], "to": _display(current, f)}
        for f in TRACKED_FIELDS
        if before[f] != _display(current, f)
    }
    if "status" in changes and current.kind in Outlet.SERVED_KINDS:
        ids = pages_published_through(current)
        transaction.on_commit(lambda: outlet_served_changed.send(sender=Outlet, ids=ids))
    if changes:
        _audit(
            current,
            action=AuditEntry.Action.OUTLET_CHANGE,
            user=user,
            comment="；".join(
                f"{TRACKED_FIELDS[f]}：{c['from']} → {c['to']}" for f, c in changes.items()
            ),
            data={"changes": changes},
        )
    return current


@transaction.atomic
def outlet_approve(*, outlet: Outlet, user, note: str = "") -> Outlet:
    """The upper level approves a registration (备案)."""
    current = Outlet.objects.select_for_update().select_related("owner_unit").get(pk=outlet.pk)
    if not outlet_can_approve(user, current):
        raise OutletError(
            f"只有{current.owner_unit.name}的上级党组织（书记或组织管理员）可以批准该阵地备案"
        )
    if current.status == Outlet.Status.CLOSED:
        raise OutletError(f"阵地“{current.name}”已关停，不能批准")
    if current.is_approved:
        raise OutletError(f"阵地“{current.name}”已经批准备案，不需要再次批准")
    current.approved_by = user
    current.approved_at = timezone.now()
    current.approval_note = note[:300]
    current.save(update_fields=["approved_by", "approved_at", "approval_note", "updated_at"])
    _audit(current, action=AuditEntry.Action.OUTLET_APPROVE, user=user, comment=note)
    return current


def _builtin(code: str, *, name: str, kind: str, root: OrgUnit, section=None) -> bool:
    if Outlet.objects.filter(code=code).exists():
        return False
    if section is not None and Outlet.objects.filter(section=section).exists():
        return False
    Outlet.objects.create(
        code=code,
        name=name,
        kind=kind,
        owner_unit=root,
        section=section,
        status=Outlet.Status.ACTIVE,
        approved_at=timezone.now(),
        approval_note=BUILTIN_NOTE,
    )
    return True


@transaction.atomic
def outlets_builtin_ensure() -> int:
    """Idempotent (`ehome_setup`): register the portal's sections and the app as outlets of
    the top unit. Needs the organisation tree (run set-up again after the first import);
    the accountable owners are named afterwards in the admin (阵地备案). → created."""
    from cms.models import DigestIndexPage, ExemplarIndexPage, HomePage, NewsIndexPage

    root = OrgUnit.get_first_root_node()
    home = HomePage.objects.first()
    if root is None:
        return 0
    created = int(_builtin(APP_CODE, name=APP_NAME, kind=Outlet.Kind.APP, root=root))
    if home is None:
        return created
    sections = (
        Page.objects.child_of(home)
        .type(NewsIndexPage, ExemplarIndexPage, DigestIndexPage)
        .order_by("path")
    )
    for section in sections:
        created += _builtin(
            f"portal-{section.slug}"[:40],
            name=f"门户·{section.title}"[:100],
            kind=Outlet.Kind.PORTAL,
            root=root,
            section=section,
        )
    return created


@transaction.atomic
def scheduled_publications_hold(*, now=None) -> int:
    """Before scheduled publishing runs: a content revision due to go live through an
    outlet that may not carry it (suspended, closed, …) loses its schedule instead of
    going out; the cancellation is logged with the reason and attributed to the person
    who scheduled it. → how many schedules were cancelled."""
    from wagtail.log_actions import log
    from wagtail.models import Revision
    from wagtail.utils.timestamps import ensure_utc

    from cms.models import UnitScopedPage

    held = 0
    due = Revision.objects.filter(approved_go_live_at__lt=now or timezone.now())
    for revision in due.select_related("content_type").order_by("approved_go_live_at"):
        model = revision.content_type.model_class()
        if model is None or not issubclass(model, UnitScopedPage):
            continue
        page = revision.as_object()
        problems = publication_problems(
            outlets_of(page), unit=page.publishing_unit, section_path=_section_path(page)
        )
        if not problems:
            continue
        Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=None)
        log(
            instance=page,
            action="wagtail.schedule.cancel",
            user=None,
            revision=revision,
            data={
                "revision": {
                    "id": revision.pk,
                    "created": ensure_utc(revision.created_at),
                    "go_live_at": ensure_utc(revision.approved_go_live_at),
                    "has_live_version": page.live,
                },
                "comment": "定时发布未执行：" + "；".join(problems),
            },
        )
        held += 1
    return held


def setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step (after `cms.services.setup_ensure`, which creates the sections):
    register the built-in outlets and write audit entries for earlier history."""
    from cms.audit_log import audit_history_import

    created = outlets_builtin_ensure()
    pending_owner = Outlet.objects.filter(owner__isnull=True).exclude(status=Outlet.Status.CLOSED)
    result = {
        "outlets_created": created,
        "audit_entries_imported": audit_history_import(),
    }
    if not OrgUnit.objects.exists():
        result["note"] = "尚无党组织：导入组织后请再运行 ehome_setup 以登记内置阵地"
    elif pending_owner.exists():
        result["outlets_without_owner"] = pending_owner.count()
    return result
