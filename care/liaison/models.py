"""亲情档案: for each overseas member, their family's contacts (sensitive: encrypted, masked,
revealed with a purpose and logged like the member record), the liaison person at home, a
log of calls and visits, the needs the family raised and their follow-up, and the cadence
of contact (overdue files are reminded)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedCharField, EncryptedTextField
from organizations.models import SEES_SENSITIVE, Member
from organizations.privacy import validate_not_future, validate_phone
from organizations.registry import scoped

__all__ = ["FamilyContact", "LiaisonContact", "LiaisonFile", "LiaisonNeed"]


@scoped(unit="member__unit", member="member", routes=("liaison-file",))
class LiaisonFile(models.Model):
    class Cadence(models.IntegerChoices):
        MONTHLY = 30, _("每月")
        QUARTERLY = 91, _("每季度")
        HALF_YEAR = 182, _("每半年")

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="liaison_file", verbose_name=_("海外党员")
    )
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="liaison_files",
        verbose_name=_("国内联络人"),
        help_text=_("负责与家属保持联系的人；逾期未联系时提醒此人"),
    )
    cadence_days = models.PositiveSmallIntegerField(
        _("联系频率"), choices=Cadence.choices, default=Cadence.QUARTERLY
    )
    last_contact_on = models.DateField(_("最近联系日期"), null=True, blank=True, db_index=True)
    notes = models.TextField(_("备注"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("亲情档案")
        verbose_name_plural = _("亲情档案")

    def __str__(self) -> str:
        return str(_("%(name)s的亲情档案") % {"name": self.member.name})


@scoped(unit="file__member__unit", routes=("liaison-family",))
class FamilyContact(models.Model):
    file = models.ForeignKey(
        LiaisonFile, on_delete=models.CASCADE, related_name="family", verbose_name=_("亲情档案")
    )
    relation = models.CharField(_("关系"), max_length=32, help_text=_("如 配偶、父亲、女儿"))
    name = EncryptedCharField(_("姓名"), max_length=64, help_text=SEES_SENSITIVE)
    phone = EncryptedCharField(
        _("电话"), max_length=32, validators=[validate_phone], help_text=SEES_SENSITIVE
    )
    address = EncryptedTextField(_("住址"), max_length=500, help_text=SEES_SENSITIVE)
    notes = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("家属联系人")
        verbose_name_plural = _("家属联系人")

    def __str__(self) -> str:
        return f"{self.file.member.name} · {self.relation}"


@scoped(unit="file__member__unit", routes=("liaison-contact",))
class LiaisonContact(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("电话")
        VIDEO = "video", _("视频")
        VISIT = "visit", _("上门走访")
        OTHER = "other", _("其他")

    file = models.ForeignKey(
        LiaisonFile, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("亲情档案")
    )
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices, default=Kind.CALL)
    on = models.DateField(_("日期"), validators=[validate_not_future])
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("联系人"),
    )
    notes = models.TextField(_("情况记录"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.file.member.name} {self.on} {self.get_kind_display()}"


@scoped(unit="file__member__unit", routes=("liaison-need",))
class LiaisonNeed(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已解决")

    file = models.ForeignKey(
        LiaisonFile, on_delete=models.CASCADE, related_name="needs", verbose_name=_("亲情档案")
    )
    raised_on = models.DateField(_("提出日期"), validators=[validate_not_future])
    description = models.TextField(_("诉求"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    follow_up = models.TextField(_("跟进情况"), blank=True, max_length=4000)
    resolved_on = models.DateField(
        _("解决日期"), null=True, blank=True, validators=[validate_not_future]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("家属诉求")
        verbose_name_plural = _("家属诉求")
        ordering = ["status", "-raised_on"]

    def __str__(self) -> str:
        return f"{self.file.member.name}：{self.description[:20]}"
