"""Study points (学习积分): awarded only by the server, from events it verified itself
(a lesson completed by merged intervals, watch minutes counted as unique seconds, a graded
exam, a finished contest entry).

The ledger is append-only; every award carries a unique event key (a retried event
inserts nothing). Per-rule daily caps use the member's local day (unit time zone); the
day's sum is read under a lock on the member's balance row, so concurrent awards cannot
overshoot a cap. `PointBalance` keeps each member's total for leaderboards.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from elearning import leaderboards
from elearning.models import PointBalance, PointLedger, PointRule
from organizations.models import Member, OrgUnit

DEFAULT_RULES = {
    # code: (points, per_minutes, daily_cap)
    "article_read": (1, 0, 6),
    "watch_minutes": (1, 5, 12),
    "lesson_complete": (2, 0, 10),
    "quiz_pass": (5, 0, 10),
    "contest": (1, 0, 10),
}


def rules_ensure() -> None:
    for code, (pts, per, cap) in DEFAULT_RULES.items():
        PointRule.objects.get_or_create(
            code=code, defaults={"points": pts, "per_minutes": per, "daily_cap": cap}
        )


_RULES_TTL = 30.0
_rules_cache: tuple[float, dict[str, PointRule | None]] = (0.0, {})


def _rule(code: str) -> PointRule | None:
    """The active rule for `code` (defaults when none is configured). Rules change rarely
    and progress reports are the hottest path, so each process keeps them for 30 s."""
    global _rules_cache
    loaded_at, rules = _rules_cache
    if time.monotonic() - loaded_at > _RULES_TTL:
        configured = {r.code: r for r in PointRule.objects.all()}
        rules = {}
        for c in set(DEFAULT_RULES) | set(configured):
            r = configured.get(c)
            if r is None and c in DEFAULT_RULES:
                pts, per, cap = DEFAULT_RULES[c]
                r = PointRule(code=c, points=pts, per_minutes=per, daily_cap=cap)
            rules[c] = r if r is not None and r.is_active else None
        _rules_cache = (time.monotonic(), rules)
    return rules.get(code)


def rules_cache_clear() -> None:
    global _rules_cache
    _rules_cache = (0.0, {})


def member_local_day(member: Member, now: dt.datetime | None = None) -> dt.date:
    now = now or timezone.now()
    return now.astimezone(ZoneInfo(member.unit.timezone)).date()


def points_award(
    *, member: Member, rule: str, event_key: str, units: int = 1, now: dt.datetime | None = None
) -> int:
    """Award `units` × rule points for one verified event (capped per day). Returns the
    points actually credited (0 for a repeated event key or when the cap is reached)."""
    r = _rule(rule)
    if r is None or units <= 0:
        return 0
    if PointLedger.objects.filter(event_key=event_key).exists():
        return 0
    day = member_local_day(member, now)
    wanted = r.points * units
    try:
        with transaction.atomic():
            balance, _ = PointBalance.objects.get_or_create(
                member=member, defaults={"unit_path": member.unit.path}
            )
            balance = PointBalance.objects.select_for_update().get(pk=balance.pk)
            if r.daily_cap:
                today = (
                    PointLedger.objects.filter(member=member, rule=rule, day=day).aggregate(
                        s=Sum("points")
                    )["s"]
                    or 0
                )
                wanted = max(0, min(wanted, r.daily_cap - today))
            PointLedger.objects.create(
                member=member, rule=rule, points=wanted, event_key=event_key, day=day
            )
            if wanted:
                balance.total += wanted
                balance.unit_path = member.unit.path
                balance.save(update_fields=["total", "unit_path"])
                leaderboards.points_record_after_commit(member_id=member.pk)
    except IntegrityError:
        return 0  # the same event raced in from another request
    return wanted


def points_award_watch(
    *, member: Member, lesson_id: int, seconds_before: int, seconds_after: int
) -> int:
    """One award per full N minutes of *unique* watched seconds of a lesson."""
    r = _rule("watch_minutes")
    if r is None or not r.per_minutes:
        return 0
    step = r.per_minutes * 60
    total = 0
    for block in range(seconds_before // step + 1, seconds_after // step + 1):
        total += points_award(
            member=member, rule="watch_minutes", event_key=f"watch:{member.pk}:{lesson_id}:{block}"
        )
    return total


def points_unit_paths_sync(*, member_ids: list[int] | None = None) -> int:
    """Re-file the balances whose `unit_path` is no longer their member's unit path (the
    leaderboards of a subtree read it), and move their ranking entries after commit.
    `member_ids` limits it to those members; None checks every balance (one join).
    Returns how many balances moved."""
    qs = PointBalance.objects.exclude(unit_path=F("member__unit__path"))
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    moved = 0
    with transaction.atomic():
        rows = list(
            qs.select_for_update(of=("self",)).values_list(
                "member_id", "unit_path", "member__unit__path", "total"
            )
        )
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            PointBalance.objects.bulk_update(
                [PointBalance(member_id=m, unit_path=new) for m, _, new, _ in batch],
                ["unit_path"],
            )
            moved += len(batch)
        if rows:
            leaderboards.points_moved_after_commit(rows)
    return moved


def points_summary(*, member: Member) -> dict:
    bal = PointBalance.objects.filter(member=member).first()
    today = member_local_day(member)
    by_rule = dict(
        PointLedger.objects.filter(member=member, day=today)
        .values_list("rule")
        .annotate(s=Sum("points"))
        .values_list("rule", "s")
    )
    return {"total": bal.total if bal else 0, "today": by_rule}


def points_leaderboard(*, unit: OrgUnit, member: Member | None, top: int = 20) -> dict:
    """Top N members of a unit subtree and the caller's rank there: an index scan for the
    top; the rank from the subtree's Redis sorted set (elearning.leaderboards), or one
    COUNT of better totals without Redis."""
    qs = PointBalance.objects.filter(unit_path__startswith=unit.path)
    rows = list(
        qs.order_by("-total", "member_id")
        .select_related("member", "member__unit")
        .values("member_id", "member__name", "member__unit__name", "total")[:top]
    )
    leaders = [
        {
            "rank": i,
            "member_id": r["member_id"],
            "name": r["member__name"],
            "unit": r["member__unit__name"],
            "total": r["total"],
        }
        for i, r in enumerate(rows, 1)
    ]
    mine = None
    if member is not None and member.unit.path.startswith(unit.path):
        bal = PointBalance.objects.filter(member=member).first()
        total = bal.total if bal else 0
        better = leaderboards.points_better_count(unit_path=unit.path, total=total)
        if better is None:  # no Redis: count the better rows in the database
            better = qs.filter(total__gt=total).count()
        mine = {"rank": better + 1, "total": total}
    return {"unit": {"id": unit.pk, "name": unit.name}, "top": leaders, "me": mine}
