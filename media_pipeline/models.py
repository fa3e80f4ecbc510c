"""Media assets: study videos and audio lessons transcoded to HLS.

(Foundation placeholder: the media pipeline issue fills in the status machine, renditions
and storage keys. Other apps reference `media_pipeline.MediaAsset` by foreign key.)
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MediaAsset(models.Model):
    class Kind(models.TextChoices):
        VIDEO = "video", _("视频")
        AUDIO = "audio", _("音频")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.VIDEO)
    title = models.CharField(_("标题"), max_length=200)
    owner_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="media_assets",
        verbose_name=_("所属党组织"),
    )
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        PROBING = "probing", _("检测中")
        TRANSCODING = "transcoding", _("转码中")
        UPLOADING = "uploading", _("存储中")
        READY = "ready", _("可播放")
        REJECTED = "rejected", _("已拒绝")
        FAILED = "failed", _("失败")

    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.UPLOADED, db_index=True
    )
    duration = models.FloatField(_("时长（秒）"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("音视频")
        verbose_name_plural = _("音视频")

    def __str__(self) -> str:
        return self.title
