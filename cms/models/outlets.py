"""The outlet registry (阵地备案): every channel through which content goes out.

An `Outlet` is a portal section (a news channel, 先进典型, 手机报), the mobile app, or a
WeChat/Weibo account, website or screen a unit runs. It belongs to an owning unit
(主办单位), names an accountable owner and a deputy (people), and is approved by the
upper level (a secretary or unit admin of a strict ancestor of the owning unit; the
group's own outlets by a superuser). Only an outlet that is active, approved and has an
accountable owner may carry a publication (`cms.outlets.outlet_problem`).

The portal sections and the app are the built-in outlets (`code` set, created by
`ehome_setup`, owned by the root unit); a portal outlet points at its section page.
Content pages choose their outlets (`UnitScopedPage.outlets`); what each published
revision actually went out through is recorded in the audit log
(`cms.models.audit.AuditEntryOutlet`), so the record stays when the outlet changes.
Outlets are never deleted — a registry entry is closed (关停) instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from organizations.registry import scoped


def display_name(user) -> str:
    """A person as the registry and the audit log name them: their name (the member's, or
    the account's full name) with the login name, which is unique — "李审核（reviewer）"."""
    if user is None:
        return ""
    member = getattr(user, "member", None)
    name = (getattr(member, "name", "") if member is not None else "") or user.get_full_name()
    login = user.get_username()
    return f"{name}（{login}）" if name and name != login else login


@scoped(unit="owner_unit")
class Outlet(models.Model):
    class Kind(models.TextChoices):
        PORTAL = "portal", "门户网站栏目"
        APP = "app", "党建e家 App"
        WECHAT = "wechat", "微信公众号"
        WEIBO = "weibo", "微博账号"
        WEBSITE = "website", "网站"
        SCREEN = "screen", "电子屏"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        SUSPENDED = "suspended", "暂停"
        CLOSED = "closed", "关停"

    #: kinds e-Home itself serves (and can stop serving); the others are run by units
    SERVED_KINDS = (Kind.PORTAL, Kind.APP)

    name = models.CharField("阵地名称", max_length=100, help_text="如“海外事业部党建”公众号")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.WECHAT)
    owner_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="outlets",
        verbose_name="主办单位",
        help_text="开办并管理该阵地的党组织；由其上级党组织批准备案",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任人",
        help_text="对通过该阵地发布的内容负责的人",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="副责任人",
        help_text="责任人不在时负责的人",
    )
    address = models.CharField(
        "网址/账号",
        max_length=300,
        blank=True,
        help_text="网址，或公众号原始 ID、微博账号、电子屏所在位置",
    )
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    status_reason = models.CharField(
        "状态说明", max_length=300, blank=True, help_text="暂停或关停的原因"
    )
    code = models.CharField(
        "内置代码",
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="系统内置阵地的代码（app、portal-<栏目>）；单位登记的阵地为空",
    )
    section = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="门户栏目",
        help_text="门户网站栏目类阵地对应的栏目页面",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="登记人",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="批准人",
    )
    approved_at = models.DateTimeField("批准时间", null=True, blank=True, editable=False)
    approval_note = models.CharField("批准说明", max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "宣传阵地"
        verbose_name_plural = "阵地备案"
        ordering = ["owner_unit__path", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def builtin(self) -> bool:
        return bool(self.code)

    # for listings and the Excel export of the registry
    @property
    def owner_name(self) -> str:
        return display_name(self.owner) or "未指定"

    @property
    def deputy_name(self) -> str:
        return display_name(self.deputy)

    @property
    def approval_display(self) -> str:
        if not self.is_approved:
            return "待上级批准"
        return display_name(self.approved_by) or self.approval_note or "已批准"
