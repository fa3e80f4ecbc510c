"""Media assets: study videos and audio lessons transcoded to adaptive HLS.

A `MediaAsset` is created from an upload (`status=uploaded`); the `asset_process` task
probes it under input whitelists, either rejects it (`rejected`, with a reason shown to the
editor) or transcodes it in one ffmpeg process, stores every output object (content
addressed under `<prefix>/<checksum>/`) and only then flips it to `ready`. CMS video/audio
blocks and e-learning lessons reference assets by foreign key; members only ever see the
playback info built by `media_pipeline.selectors.playback_info`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.registry import scoped


@scoped(unit="owner_unit", audience="audience_unit", routes=("media",))
class MediaAsset(models.Model):
    class Kind(models.TextChoices):
        VIDEO = "video", _("视频")
        AUDIO = "audio", _("音频")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        PROBING = "probing", _("检测中")
        TRANSCODING = "transcoding", _("转码中")
        UPLOADING = "uploading", _("存储中")
        READY = "ready", _("可播放")
        REJECTED = "rejected", _("已拒绝")
        FAILED = "failed", _("失败")

    #: statuses a worker is (or was, when its lease ran out) busy with
    ACTIVE_STATUSES = (Status.PROBING, Status.TRANSCODING, Status.UPLOADING)

    kind = models.CharField(
        _("类型"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.VIDEO,
        help_text=_("视频生成多码率 HLS；音频生成 AAC HLS 和 M4A 下载文件"),
    )
    title = models.CharField(_("标题"), max_length=200, help_text=_("在后台和课程中显示的名称"))
    owner_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="media_assets",
        verbose_name=_("所属党组织"),
        help_text=_("上传并负责此音视频的党组织"),
    )
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audience_media_assets",
        verbose_name=_("可见范围"),
        help_text=_("该组织及其下级组织的党员可以播放；留空则与所属党组织相同"),
    )
    source = models.FileField(
        _("源文件"),
        upload_to="media_sources/%Y/%m/",
        max_length=300,
        blank=True,
        help_text=_("上传的原始文件，转码完成后保留以便重新转码"),
    )
    source_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    source_size = models.BigIntegerField(_("源文件大小（字节）"), default=0)
    checksum = models.CharField(
        _("SHA-256"), max_length=64, blank=True, db_index=True, help_text=_("源文件内容哈希")
    )

    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.UPLOADED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    reason = models.TextField(_("拒绝原因"), blank=True, help_text=_("输入文件不合格时的说明"))
    error = models.TextField(_("错误信息"), blank=True, help_text=_("转码或存储失败时的错误"))
    attempts = models.PositiveIntegerField(_("处理次数"), default=0)

    duration = models.FloatField(_("时长（秒）"), null=True, blank=True)
    width = models.PositiveIntegerField(_("宽度"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高度"), null=True, blank=True)
    frame_rate = models.FloatField(_("帧率"), null=True, blank=True)
    probe = models.JSONField(_("检测结果"), default=dict, blank=True)
    loudness = models.JSONField(
        _("响度测量"), default=dict, blank=True, help_text=_("EBU R128 loudnorm 第一遍测量值")
    )
    renditions = models.JSONField(
        _("码率档位"),
        default=list,
        blank=True,
        help_text=_("每档：高度、宽度、码率、平均码率、播放列表"),
    )
    timings = models.JSONField(_("各步骤耗时（秒）"), default=dict, blank=True)

    storage_prefix = models.CharField(_("存储前缀"), max_length=200, blank=True)
    master_key = models.CharField(_("主播放列表"), max_length=300, blank=True)
    audio_playlist_key = models.CharField(_("纯音频播放列表"), max_length=300, blank=True)
    poster_key = models.CharField(_("封面"), max_length=300, blank=True)
    storyboard_key = models.CharField(_("缩略图索引（WebVTT）"), max_length=300, blank=True)
    storyboard_image_key = models.CharField(_("缩略图拼图"), max_length=300, blank=True)
    download_key = models.CharField(_("下载文件"), max_length=300, blank=True)

    lease_owner = models.CharField(_("处理进程"), max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(
        _("租约到期"), null=True, blank=True, db_index=True, help_text=_("处理进程的心跳")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    ready_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("音视频")
        verbose_name_plural = _("音视频")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_retryable(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.READY, self.Status.REJECTED)

    @property
    def effective_audience_unit_id(self) -> int | None:
        return self.audience_unit_id or self.owner_unit_id
