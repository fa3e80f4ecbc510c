"""Greeting templates (生日祝福 / 政治生日祝福) an organisation edits for its members."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import OrgUnit
from organizations.registry import scoped

__all__ = ["GreetingTemplate"]

#: the fields a template may use
PLACEHOLDERS = ("name", "years", "unit")


def _check_placeholders(text: str) -> None:
    try:
        text.format(name="某某", years=1, unit="某党支部")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(
            _("模板只能使用 {name}（姓名）、{years}（党龄年数）、{unit}（所在党组织）：%(err)s"),
            params={"err": exc},
        ) from None


@scoped(unit="unit", routes=("greeting-template",))
class GreetingTemplate(models.Model):
    """The wording of one kind of greeting for a unit's subtree: a member receives the
    template of the nearest unit above them (or their own) that has one, else the default
    (care.greetings.services.DEFAULTS)."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("生日祝福")
        POLITICAL = "political", _("政治生日祝福")

    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="greeting_templates",
        verbose_name=_("党组织"),
        help_text=_("通常为顶级党委；该组织及其下级的党员使用此模板"),
    )
    kind = models.CharField(_("祝福类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(
        _("标题"),
        max_length=120,
        validators=[_check_placeholders],
        help_text=_("如：{name}同志，生日快乐"),
    )
    body = models.TextField(
        _("正文"),
        max_length=1000,
        validators=[_check_placeholders],
        help_text=_("可用 {name}（姓名）、{years}（入党年数，政治生日用）、{unit}（所在党组织）"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("祝福模板")
        verbose_name_plural = _("祝福模板")
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind"], name="greeting_template_unit_kind")
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_kind_display()}"
