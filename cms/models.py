"""Content: news, exemplar stories, the e-bookshelf and the digest.

(Foundation placeholder: the content issue fills these in. `Book` exists now because
elearning's reading lessons reference it.)
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Book(models.Model):
    title = models.CharField(_("书名"), max_length=300)
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("可见范围"),
    )
    is_published = models.BooleanField(_("已发布"), default=False)

    class Meta:
        verbose_name = _("图书")
        verbose_name_plural = _("图书")

    def __str__(self) -> str:
        return self.title
