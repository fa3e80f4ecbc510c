"""The organisation tree, its members and the roles people hold on units.

`OrgUnit` is a treebeard materialised-path node: a unit's subtree is every unit whose
`path` starts with the unit's path (an index-backed prefix match; the column uses the "C"
collation on PostgreSQL so `LIKE 'prefix%'` can use the btree index). Content and
assignments elsewhere carry an *audience unit*; a member sees them when the audience
unit's path is a prefix of the member's unit path (see organizations.selectors).

Length: the tree, members, roles, logins, transfers and the member-record/privacy models
(records, consents, access log, key rotation) — ~610 lines. The privacy models belong in a
`organizations/records/models.py` beside the records services; moving them needs a
migration-state check this change did not have time to run.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from core.encryption import EncryptedCharField, EncryptedTextField
from organizations.privacy import (
    validate_id_number,
    validate_not_future,
    validate_phone,
    validate_phones,
)
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


# --- member records (党员档案): docs/architecture.md "Member records and privacy" ---------
# The member record (党员档案), consents, the access log and key-rotation progress.
#
# `MemberRecord` is one-to-one with `Member` rather than more columns on `Member`: `Member`
# is joined by every app (attempts, notifications, dues …) and listed by the thousand; the
# record's ciphertext stays out of those rows and queries, access to it goes through one
# model whose every read path is known (organizations.records.selectors), and key rotation
# scans one narrow table (plus `Member.phone`, the one sensitive column kept on `Member`
# because imports and logins write it).

#: who sees what — shown next to every field in the admin
SEES_SENSITIVE = _(
    "【敏感·加密】默认掩码显示；组织委员、书记、组织管理员说明用途后可查看，每次查看记入访问日志"
)
SEES_RECORD = _("【档案】本人、书记、组织委员、组织管理员可见；编辑、教员、审核员不可见")


@scoped(member="member", unit="member__unit")
class MemberRecord(models.Model):
    """A member's personal record. Sensitive fields are encrypted at rest and masked by
    default (organizations.privacy: SENSITIVE_FIELDS)."""

    class Education(models.TextChoices):
        NONE = "", _("未填写")
        PRIMARY = "primary", _("小学")
        JUNIOR = "junior", _("初中")
        SENIOR = "senior", _("高中/中专")
        COLLEGE = "college", _("大专")
        BACHELOR = "bachelor", _("大学本科")
        MASTER = "master", _("硕士研究生")
        DOCTOR = "doctor", _("博士研究生")

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="record", verbose_name=_("党员")
    )
    id_number = EncryptedCharField(
        _("身份证号"), max_length=18, validators=[validate_id_number], help_text=SEES_SENSITIVE
    )
    phones = EncryptedCharField(
        _("其他电话"),
        max_length=200,
        validators=[validate_phones],
        help_text=_("多个号码用逗号分隔。") + SEES_SENSITIVE,
    )
    address = EncryptedTextField(_("家庭住址"), max_length=500, help_text=SEES_SENSITIVE)
    family_situation = EncryptedTextField(_("家庭情况"), max_length=2000, help_text=SEES_SENSITIVE)
    emergency_contact = EncryptedCharField(
        _("紧急联系人"),
        max_length=100,
        help_text=_("姓名与关系，如“李红（配偶）”。") + SEES_SENSITIVE,
    )
    emergency_phone = EncryptedCharField(
        _("紧急联系人电话"), max_length=32, validators=[validate_phone], help_text=SEES_SENSITIVE
    )
    education = models.CharField(
        _("学历"), max_length=16, choices=Education.choices, blank=True, help_text=SEES_RECORD
    )
    occupation = models.CharField(_("职业"), max_length=100, blank=True, help_text=SEES_RECORD)
    post = models.CharField(_("工作岗位"), max_length=100, blank=True, help_text=SEES_RECORD)
    probation_start = models.DateField(
        _("接收为预备党员日期"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=SEES_RECORD,
    )
    conversion_due = models.DateField(
        _("预计转正日期"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("预备期满日期；到期前提醒书记。") + str(SEES_RECORD),
    )
    converted_on = models.DateField(
        _("转正日期"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=SEES_RECORD,
    )
    interests = models.CharField(_("兴趣爱好"), max_length=300, blank=True, help_text=SEES_RECORD)
    photo = models.ImageField(
        _("照片"),
        upload_to="member_photos/",
        blank=True,
        help_text=_("受保护的文件，从不公开；仅本人和有档案权限的人员可查看"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("最后修改人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("党员档案")
        verbose_name_plural = _("党员档案")

    def __str__(self) -> str:
        return str(_("%(member)s的档案") % {"member": self.member.name})

    def masked_phone(self) -> str:
        from organizations.privacy import mask_phone

        return mask_phone(self.member.phone)

    def masked_id(self) -> str:
        from organizations.privacy import mask_id

        return mask_id(self.id_number)


class Purpose(models.TextChoices):
    """What members consent to (the policy names each)."""

    MANAGEMENT = "management", _("党员教育管理（必需）")
    CARE = "care", _("关怀服务：生日祝福、亲情联络、结对帮扶")
    CONTACT = "contact", _("通过电话/短信联系本人")


REQUIRED_PURPOSES = frozenset({Purpose.MANAGEMENT})


@scoped(member="member", unit="member__unit")
class ConsentRecord(models.Model):
    """One consent given or withdrawn (append-only: the latest per purpose counts)."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="consents", verbose_name=_("党员")
    )
    purpose = models.CharField(_("用途"), max_length=32, choices=Purpose.choices)
    granted = models.BooleanField(_("同意"))
    policy_version = models.CharField(_("隐私政策版本"), max_length=32)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    ip = models.CharField(_("来源地址"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("同意记录")
        verbose_name_plural = _("同意记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "purpose", "-at"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.purpose} {'✓' if self.granted else '✗'}"


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("访问日志不可修改")

    def delete(self):
        raise PermissionError("访问日志不可删除")

    _raw_delete = delete


@scoped(unit="unit")
class AccessLog(models.Model):
    """Who looked at or changed whose record, which fields, why, when and from where.
    Append-only: the model refuses update and delete, and on PostgreSQL a trigger does
    too (migration). It keeps snapshots (names, unit path), never a foreign key that
    a deletion could rewrite."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("查看敏感信息")
        EXPORT = "export", _("导出")
        EDIT = "edit", _("修改")
        PHOTO = "photo", _("查看照片")
        DOWNLOAD = "download", _("本人下载数据")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150)
    member = models.ForeignKey(
        Member,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("党员"),
    )
    member_name = models.CharField(_("党员"), max_length=64, blank=True)
    member_no = models.CharField(_("党员编号"), max_length=32, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("所在党组织"),
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    fields = models.JSONField(_("字段"), default=list)
    count = models.PositiveIntegerField(_("记录数"), default=1, help_text=_("导出时为导出的党员数"))
    purpose = models.CharField(_("用途"), max_length=300)
    ip = models.CharField(_("来源地址"), max_length=64, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("档案访问日志")
        verbose_name_plural = _("档案访问日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "-at"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.member_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("访问日志不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("访问日志不可删除")

    def field_labels(self) -> str:
        from organizations.privacy import label_of

        return "、".join(label_of(f) for f in self.fields)


class KeyRotationProgress(models.Model):
    """How far `rotate_field_keys` got for one table and one target key: the last primary
    key done. Written in the same transaction as each batch, so an interrupted run resumes
    after the last batch that committed."""

    key_fingerprint = models.CharField(max_length=16)
    table = models.CharField(max_length=100)
    last_pk = models.BigIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("密钥轮换进度")
        verbose_name_plural = _("密钥轮换进度")
        constraints = [
            models.UniqueConstraint(
                fields=["key_fingerprint", "table"], name="unique_rotation_table"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table} @ {self.key_fingerprint}: {self.rows_done}"
