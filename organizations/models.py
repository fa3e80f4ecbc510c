"""The organisation tree, its members and the roles people hold on units.

`OrgUnit` is a treebeard materialised-path node: a unit's subtree is every unit whose
`path` starts with the unit's path (an index-backed prefix match; the column uses the "C"
collation on PostgreSQL so `LIKE 'prefix%'` can use the btree index). Content and
assignments elsewhere carry an *audience unit*; a member sees them when the audience
unit's path is a prefix of the member's unit path (see organizations.selectors).

The member-record and privacy models (records, consents, the access log, key-rotation
progress) live in `organizations/record_models.py` (their services in
`organizations/records/`) and are imported here, so `organizations.models` still names
every model of the app.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from core.encryption import EncryptedCharField
from organizations.registry import scoped


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(tz)s” 不是有效的 IANA 时区名称"), params={"tz": value})


@scoped(unit="")
class OrgUnit(MP_Node):
    """A party committee, general branch or branch. Roles on a unit cover its subtree."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("党委")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")

    # treebeard: 4 characters per level from 0-9A-Z gives 1.6 M children per parent.
    steplen = 4
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    node_order_by = ["code"]

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    code = models.CharField(
        _("组织代码"), max_length=32, unique=True, help_text=_("全局唯一的组织编码，导入时用于匹配")
    )
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    country = models.CharField(
        _("国家/地区"), max_length=2, default="CN", help_text=_("ISO 3166-1 两位字母代码")
    )
    timezone = models.CharField(
        _("时区"),
        max_length=64,
        default="Asia/Shanghai",
        validators=[validate_timezone],
        help_text=_("IANA 时区名称，如 Africa/Dar_es_Salaam；成员的截止时间按此时区计算"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")

    def __str__(self) -> str:
        return self.name

    def ancestor_paths(self) -> list[str]:
        """This unit's path and every ancestor's path (the audience paths that reach it)."""
        return ancestor_paths_of(self.path, self.steplen)


def ancestor_paths_of(path: str, steplen: int = OrgUnit.steplen) -> list[str]:
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


@scoped(unit="unit")
class Member(models.Model):
    """A party member: one-to-one with a login user, belongs to exactly one unit."""

    class Category(models.TextChoices):
        FULL = "full", _("正式党员")
        PROBATIONARY = "probationary", _("预备党员")

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        TRANSFERRED_OUT = "transferred_out", _("已转出")
        SUSPENDED = "suspended", _("停止党籍")
        DECEASED = "deceased", _("已故")

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="member",
        verbose_name=_("用户"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在党组织")
    )
    name = models.CharField(_("姓名"), max_length=64, db_index=True)
    member_no = models.CharField(_("党员编号"), max_length=32, unique=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    join_date = models.DateField(_("入党日期"), null=True, blank=True)
    category = models.CharField(
        _("党员类别"), max_length=16, choices=Category.choices, default=Category.FULL
    )
    birthday = models.DateField(_("出生日期"), null=True, blank=True)
    # encrypted at rest, masked by default (organizations.records; docs/architecture.md
    # "Member records and privacy")
    phone = EncryptedCharField(
        _("手机号"),
        max_length=32,
        help_text=_("【敏感·加密】默认掩码显示；组织委员、书记、组织管理员说明用途后可查看"),
    )
    is_overseas = models.BooleanField(_("海外党员"), default=False)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.member_no}）"

    def masked_phone(self) -> str:
        """The phone as lists and exports show it (138****1234)."""
        from organizations.privacy import mask_phone

        return mask_phone(self.phone)


@scoped(unit="unit")
class UnitRole(models.Model):
    """A role a user holds on a unit; it covers the unit's whole subtree."""

    class Role(models.TextChoices):
        UNIT_ADMIN = "unit_admin", _("组织管理员")
        EDITOR = "editor", _("编辑")
        REVIEWER = "reviewer", _("审核员")
        SECRETARY = "secretary", _("书记")
        INSTRUCTOR = "instructor", _("教员")
        # reads the audit log and traces published content in its subtree (cms.audit)
        AUDITOR = "auditor", _("监督员")
        # member records: reveals sensitive fields (with a stated purpose), transfers
        ORGANIZER = "organizer", _("组织委员")
        # party dues: bases, refunds, adjustments, collection reports (dues)
        TREASURER = "treasurer", _("党费管理员")
        # answers members' questions addressed to the unit (interaction Q&A)
        ANSWERER = "answerer", _("答疑员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_roles"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("授予人"),
        help_text=_("授予该角色的组织管理员；空表示由运维人员在命令行、导入或初始化时授予"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("组织角色")
        verbose_name_plural = _("组织角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_user_unit_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


@scoped(unit="member__unit", routes=("transfer",))
class Transfer(models.Model):
    """A member's organisation relationship transfer (组织关系转接), as a handshake: the
    out-unit side starts it (an introduction letter with a number is issued), the in-unit
    side accepts or rejects it with a reason, and only on acceptance does the member move
    (organizations.transfers). A transfer to or from outside the organisation names the
    other side in `external_name`. Pending transfers expire after
    `settings.EHOME_TRANSFER_EXPIRY_DAYS`. Who sees a row: the role holders over the
    member's unit, the out-unit or the in-unit (organizations.transfers)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待接收")
        ACCEPTED = "accepted", _("已接收")
        REJECTED = "rejected", _("已退回")
        EXPIRED = "expired", _("已过期")

    class Direction(models.TextChoices):
        INTERNAL = "internal", _("系统内转接")
        OUT = "out", _("转出本系统")
        IN = "in", _("从系统外转入")

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("党员")
    )
    direction = models.CharField(
        _("转接类型"), max_length=16, choices=Direction.choices, default=Direction.INTERNAL
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    from_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_out",
        verbose_name=_("转出组织"),
    )
    to_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
        verbose_name=_("转入组织"),
    )
    external_name = models.CharField(
        _("系统外党组织"),
        max_length=200,
        blank=True,
        help_text=_("转出到或转入自本系统以外的党组织时，对方党组织的全称"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
        help_text=_("接收或退回该转接的人"),
    )
    reason = models.CharField(_("转接原因"), max_length=500, blank=True)
    decision_note = models.CharField(_("退回原因/接收意见"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("发起时间"), null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    transferred_at = models.DateTimeField(
        _("转接时间"), null=True, blank=True, db_index=True, help_text=_("接收生效的时间")
    )
    letter_year = models.PositiveSmallIntegerField(_("介绍信年度"), null=True, blank=True)
    letter_seq = models.PositiveIntegerField(_("介绍信序号"), null=True, blank=True)

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter_year", "letter_seq"], name="transfer_letter_number_unique"
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="pending"),
                name="transfer_one_pending_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.from_side} → {self.to_side}"

    @property
    def from_side(self) -> str:
        return self.from_unit.name if self.from_unit_id else (self.external_name or "—")

    @property
    def to_side(self) -> str:
        return self.to_unit.name if self.to_unit_id else (self.external_name or "—")

    @property
    def letter_no(self) -> str:
        """介绍信编号: 〔year〕 and a six-digit sequence, unique and gap-free per year."""
        if not self.letter_year or not self.letter_seq:
            return ""
        return f"组转〔{self.letter_year}〕{self.letter_seq:06d}号"


class TransferLetterSequence(models.Model):
    """The last introduction-letter number issued in a year (locked while numbering)."""

    year = models.PositiveSmallIntegerField(_("年度"), primary_key=True)
    last = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("介绍信编号")
        verbose_name_plural = _("介绍信编号")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class LoginState(models.Model):
    """What ends a user's logins before they expire (organizations.logins).

    Every JWT the user is issued carries `token_version` (claim `tv`); the API refuses a
    token whose value is not the current one. Every portal/admin session stores
    `session_version` at login; a session holding another value is logged out. A password
    change bumps `token_version` (Django's session hash already ends the sessions);
    deactivation and "log out everywhere" bump both. No row means both are 0."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="login_state",
        verbose_name=_("用户"),
    )
    token_version = models.PositiveIntegerField(
        _("令牌版本"), default=0, help_text=_("每次撤销全部令牌时加一；旧版本的令牌不再有效")
    )
    session_version = models.PositiveIntegerField(
        _("会话版本"), default=0, help_text=_("每次退出所有登录时加一；旧版本的网页会话被注销")
    )
    revoked_at = models.DateTimeField(_("最近撤销时间"), null=True, blank=True)
    reason = models.CharField(_("最近撤销原因"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("登录状态")
        verbose_name_plural = _("登录状态")

    def __str__(self) -> str:
        return f"{self.user_id} tv={self.token_version} sv={self.session_version}"


# The member record (党员档案) and its privacy models; imported last: they refer to Member.
from organizations.record_models import (  # noqa: E402, F401
    REQUIRED_PURPOSES,
    SEES_RECORD,
    SEES_SENSITIVE,
    AccessLog,
    AccessLogQuerySet,
    ConsentRecord,
    KeyRotationProgress,
    MemberRecord,
    Purpose,
)
