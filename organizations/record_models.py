"""The member record (党员档案), consents, the access log and key-rotation progress
(docs/architecture.md "Member records and privacy"). `organizations.models` imports them,
so the app's models are still all reachable there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedCharField, EncryptedTextField
from organizations.privacy import (
    validate_id_number,
    validate_not_future,
    validate_phone,
    validate_phones,
)
from organizations.registry import scoped

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
        "organizations.Member",
        on_delete=models.CASCADE,
        related_name="record",
        verbose_name=_("党员"),
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
        "organizations.Member",
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("党员"),
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
        "organizations.Member",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("党员"),
    )
    member_name = models.CharField(_("党员"), max_length=64, blank=True)
    member_no = models.CharField(_("党员编号"), max_length=32, blank=True)
    unit = models.ForeignKey(
        "organizations.OrgUnit",
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
