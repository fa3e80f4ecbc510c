"""The outlet registry (阵地备案): writes — register, change, approve, the built-in outlets,
holding schedules into unusable outlets, and the `ehome_setup` step. Every registry
write appends an audit entry. Rules and reads: cms/outlets.py."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from cms.audit_log import audit_entry_create
from cms.models import AuditEntry, Outlet
from cms.outlets import (
    APP_CODE,
    outlet_can_approve,
    outlet_can_manage,
    outlets_of,
    pages_published_through,
    person_name,
    publication_problems,
    section_path_of,
)
from cms.signals import outlet_served_changed
from core.errors import DomainError
from organizations.models import OrgUnit

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


class OutletError(DomainError):
    """A registry write the rules refuse; the message is for people."""


def _audit(outlet: Outlet, *, action: str, user, comment: str = "", data=None) -> None:
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
    from cms.models import HomePage
    from cms.models.pages import UnitScopedPage

    root = OrgUnit.get_first_root_node()
    home = HomePage.objects.first()
    if root is None:
        return 0
    created = int(_builtin(APP_CODE, name=APP_NAME, kind=Outlet.Kind.APP, root=root))
    if home is None:
        return created
    # a section is a page under home that holds unit-owned content (news, stories,
    # digests, and the bulletin of the apps above)
    sections = [
        page
        for page in Page.objects.child_of(home).order_by("path")
        if any(issubclass(m, UnitScopedPage) for m in page.specific_class.allowed_subpage_models())
    ]
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
            outlets_of(page), unit=page.publishing_unit, section_path=section_path_of(page)
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
