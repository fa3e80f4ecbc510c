"""Contest and study-point reads: what a member sees, and the leaderboards.

Leaderboards: "top N" is an index scan of `ContestBest` / `ContestUnitScore` /
`PointBalance`; "my rank" is a Redis `ZCOUNT` of better entries
(elearning.contests.leaderboards), or one COUNT of better rows without Redis.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from elearning.contests import leaderboards
from elearning.contests.models import (
    Contest,
    ContestBest,
    ContestUnitScore,
    PointBalance,
    PointLedger,
)
from elearning.contests.representations import LeaderboardJSON, PointsSummaryJSON
from organizations.models import Member, OrgUnit
from organizations.selectors import audience_q, is_visible_to_member, object_or_not_found


def contests_visible(user) -> QuerySet[Contest]:
    return (
        Contest.objects.filter(is_published=True)
        .filter(audience_q(user))
        .select_related("audience_unit")
        .annotate(question_count=Count("questions"))
        .order_by("-starts_at", "-id")
    )


def access_contest_by_id(user, contest_id, *, action: str = "view") -> Contest:
    """A published contest whose audience reaches the user (to view, enter, answer or see
    its leaderboard), or ObjectNotFound — the same for a missing id and one out of scope."""
    return object_or_not_found(contests_visible(user), contest_id)


def contest_is_visible(*, contest: Contest, member: Member) -> bool:
    return contest.is_published and is_visible_to_member(
        audience_path=contest.audience_unit.path, member=member
    )


def contest_leaderboard(
    *, contest: Contest, member: Member | None, top: int = 20
) -> LeaderboardJSON:
    rows = list(
        ContestBest.objects.filter(contest=contest)
        .order_by("-score", "elapsed_ms", "member_id")
        .values("member_id", "member__name", "unit__name", "score", "elapsed_ms")[:top]
    )
    members = [
        {
            "rank": i,
            "member_id": r["member_id"],
            "name": r["member__name"],
            "unit": r["unit__name"],
            "score": r["score"],
            "elapsed_ms": r["elapsed_ms"],
        }
        for i, r in enumerate(rows, 1)
    ]
    units = [
        {
            "rank": i,
            "unit_id": r["unit_id"],
            "name": r["unit__name"],
            "participants": r["participants"],
            "total_score": r["total_score"],
        }
        for i, r in enumerate(
            ContestUnitScore.objects.filter(contest=contest)
            .order_by("-total_score", "unit_id")
            .values("unit_id", "unit__name", "participants", "total_score")[:top],
            1,
        )
    ]
    me = my_unit = None
    if member is not None:
        best = ContestBest.objects.filter(contest=contest, member=member).first()
        if best is not None:
            better = leaderboards.contest_member_better_count(
                contest_id=contest.pk, score=best.score, elapsed_ms=best.elapsed_ms
            )
            if better is None:  # no Redis: count the better rows in the database
                better = (
                    ContestBest.objects.filter(contest=contest)
                    .filter(
                        Q(score__gt=best.score)
                        | Q(score=best.score, elapsed_ms__lt=best.elapsed_ms)
                    )
                    .count()
                )
            me = {"rank": better + 1, "score": best.score, "elapsed_ms": best.elapsed_ms}
        mine = ContestUnitScore.objects.filter(contest=contest, unit_id=member.unit_id).first()
        if mine is not None:
            better = leaderboards.contest_unit_better_count(
                contest_id=contest.pk, total_score=mine.total_score
            )
            if better is None:
                better = ContestUnitScore.objects.filter(
                    contest=contest, total_score__gt=mine.total_score
                ).count()
            my_unit = {"rank": better + 1, "total_score": mine.total_score}
    return {"members": members, "units": units, "me": me, "my_unit": my_unit}


# --- study points -----------------------------------------------------------------------


def member_local_day(member: Member, now: dt.datetime | None = None) -> dt.date:
    now = now or timezone.now()
    return now.astimezone(ZoneInfo(member.unit.timezone)).date()


def points_summary(*, member: Member) -> PointsSummaryJSON:
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
    top; the rank from the subtree's Redis sorted set (elearning.contests.leaderboards), or one
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
