"""The roll-ups the engagement fold writes (docs/architecture.md "Interaction: events,
roll-ups and reports"). Nothing here is written on the request path: a read, like,
share or share click is an event in the buffer (`interaction.engagement.buffer`) until
the periodic fold (`interaction.engagement.fold`) adds a batch of them here, in one
transaction with its `FoldedBatch` record.

An item is a (kind, id) pair: ``news`` (NewsPage), ``story`` (ExemplarPage), ``digest``
(DigestIssue) and ``lesson`` (elearning Lesson) — see `interaction.engagement.items`.
"""

from __future__ import annotations

from django.db import models

from organizations.models import OrgUnit
from organizations.registry import scope_exempt

__all__ = [
    "KIND_CHOICES",
    "FoldedBatch",
    "ItemDay",
    "ItemMonth",
    "ItemReader",
    "Like",
    "SharerStat",
]

KIND_CHOICES = [("news", "新闻"), ("story", "先进典型"), ("digest", "手机报"), ("lesson", "课程")]


@scope_exempt(
    reason="roll-up rows, never addressed by id: the reports check scope_for on the unit "
    "whose subtree they sum (interaction.analytics.reports)"
)
class ItemDay(models.Model):
    """What the members of one unit did with one item on one day (Asia/Shanghai date).

    `reads` counts each member at most once per item per day (so it is also that day's
    unique readers); `new_readers` counts members reading the item for the first time
    ever (their sum over all days is the item's exact unique readers); `likes` and
    `unlikes` are state changes (a replayed like changes nothing); `shares` counts links
    created by the unit's members, `clicks` the visits of those links (credited to the
    sharer's unit, not the visitor's)."""

    day = models.DateField("日期")
    kind = models.CharField("类型", max_length=8, choices=KIND_CHOICES)
    item_id = models.BigIntegerField("对象 ID")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="单位"
    )
    channel = models.CharField("频道", max_length=64, blank=True)
    reads = models.IntegerField("阅读", default=0)
    new_readers = models.IntegerField("新读者", default=0)
    likes = models.IntegerField("点赞", default=0)
    unlikes = models.IntegerField("取消点赞", default=0)
    shares = models.IntegerField("分享", default=0)
    clicks = models.IntegerField("分享点击", default=0)

    class Meta:
        verbose_name = "互动日汇总"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "item_id", "unit"], name="interaction_itemday_key"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "item_id", "day"], name="interaction_itemday_item"),
            models.Index(fields=["day", "unit"], name="interaction_itemday_day_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}:{self.item_id} @{self.unit_id}"


@scope_exempt(
    reason="roll-up rows, never addressed by id: the reports check scope_for on the unit "
    "whose subtree they sum (interaction.analytics.reports)"
)
class ItemMonth(models.Model):
    """`ItemDay` summed per month, item and channel over the units under a tree prefix:
    ``prefix`` is the first ``level`` steps of the units' paths (a unit shallower than
    that gives its own path). Written by the fold with the days it sums; what it is for:
    interaction.engagement.months."""

    month = models.DateField("月份")  # its first day
    level = models.SmallIntegerField("层级")
    prefix = models.CharField("单位路径前缀", max_length=64)
    kind = models.CharField("类型", max_length=8, choices=KIND_CHOICES)
    item_id = models.BigIntegerField("对象 ID")
    channel = models.CharField("频道", max_length=64, blank=True)
    reads = models.IntegerField("阅读", default=0)
    new_readers = models.IntegerField("新读者", default=0)
    likes = models.IntegerField("点赞", default=0)
    unlikes = models.IntegerField("取消点赞", default=0)
    shares = models.IntegerField("分享", default=0)
    clicks = models.IntegerField("分享点击", default=0)

    class Meta:
        verbose_name = "互动月汇总"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["month", "level", "prefix", "kind", "item_id", "channel"],
                name="interaction_itemmonth_key",
            )
        ]
        indexes = [
            models.Index(fields=["level", "prefix", "month"], name="interaction_itemmonth_prefix")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} L{self.level} {self.prefix} {self.kind}:{self.item_id}"


class ItemReader(models.Model):
    """A member has read an item (at least once): the exact unique-reader set."""

    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    item_id = models.BigIntegerField()
    member_id = models.BigIntegerField()
    first_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "item_id", "member_id"], name="interaction_itemreader_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} read {self.kind}:{self.item_id}"


class Like(models.Model):
    """A member likes an item now (the folded state; the buffer's state is newer)."""

    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    item_id = models.BigIntegerField()
    member_id = models.BigIntegerField()
    liked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "item_id", "member_id"], name="interaction_like_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} likes {self.kind}:{self.item_id}"


class SharerStat(models.Model):
    """Shares a member made of an item and the clicks their links brought."""

    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    item_id = models.BigIntegerField()
    member_id = models.BigIntegerField()
    shares = models.IntegerField(default=0)
    clicks = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "item_id", "member_id"], name="interaction_sharerstat_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} shared {self.kind}:{self.item_id}"


class FoldedBatch(models.Model):
    """A buffered batch whose events are in the roll-ups: written in the same transaction
    as them, so a batch found here after a crash is acknowledged, never folded again."""

    batch_id = models.CharField(max_length=64, unique=True)
    events = models.IntegerField()
    folded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.batch_id
