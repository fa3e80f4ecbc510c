"""Documents (文件): numbered, issued by a unit, addressed to an audience, with a
confidentiality level, attachments and read receipts.

Audience: `audience_unit` is the subtree the document goes to. The confidentiality level
narrows who in it may open the document:
- internal   组织内公开 — every member of the audience subtree;
- restricted 限定单位 — only the members of the units named in `restricted_units` (each
  with its subtree; they lie inside the audience subtree);
- secretaries 仅书记 — only holders of the secretary (or unit admin) role on a unit of the
  audience subtree.
A receipt is one row per member and document, written the first time they open it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Member, OrgUnit
from organizations.registry import scoped


@scoped(unit="issuing_unit", audience="audience_unit", routes=("doc",))
class Document(models.Model):
    class Confidentiality(models.TextChoices):
        INTERNAL = "internal", _("组织内公开")
        RESTRICTED = "restricted", _("限定单位")
        SECRETARIES = "secretaries", _("仅书记")

    title = models.CharField(_("标题"), max_length=200)
    number = models.CharField(
        _("文号"), max_length=64, help_text=_("如：中建党〔2026〕12号；同一发文单位内唯一")
    )
    issuing_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="issued_documents",
        verbose_name=_("发文单位"),
    )
    issued_on = models.DateField(_("发文日期"))
    confidentiality = models.CharField(
        _("密级范围"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.INTERNAL,
    )
    audience_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="addressed_documents",
        verbose_name=_("发送范围"),
        help_text=_("文件发往该组织及其下级"),
    )
    restricted_units = models.ManyToManyField(
        OrgUnit,
        blank=True,
        related_name="restricted_documents",
        verbose_name=_("限定单位"),
        help_text=_("密级为“限定单位”时，只有这些组织（含下级）的党员可以阅读"),
    )
    body = models.TextField(_("正文"), blank=True)
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("已被替代为"),
    )
    #: title, number and body in Simplified Chinese, lower case (the list's own search)
    search_text = models.TextField(editable=False, default="")
    is_published = models.BooleanField(_("已发布"), default=False, db_index=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("文件")
        verbose_name_plural = _("文件")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "number"], name="document_number_unique_per_issuer"
            )
        ]
        indexes = [models.Index(fields=["is_published", "-issued_on", "-id"], name="document_feed")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        from publications.documents.text import simplified

        self.search_text = simplified(f"{self.title}\n{self.number}\n{self.body}").lower()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"title", "number", "body"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)


def attachment_path(instance, filename: str) -> str:
    # "protected/…": never served from a public path (core.files)
    return f"protected/documents/{instance.document_id}/{filename}"


@scoped(
    unit="document__issuing_unit",
    audience="document__audience_unit",
    routes=("doc-attachment",),
)
class DocumentAttachment(models.Model):
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("文件")
    )
    file = models.FileField(_("附件"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(_("格式"), max_length=8)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("文件附件")
        verbose_name_plural = _("文件附件")

    def __str__(self) -> str:
        return self.name


@scoped(member="member", routes=("doc-receipt",))
class DocumentReceipt(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="receipts")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="document_receipts")
    read_at = models.DateTimeField(_("首次阅读时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("阅读回执")
        verbose_name_plural = _("阅读回执")
        constraints = [
            models.UniqueConstraint(fields=["document", "member"], name="one_receipt_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.document_id}"
