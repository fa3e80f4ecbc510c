"""The home page's reads from the other apps, in one place (their selectors decide scope
and status; nothing here re-implements a rule)."""

from __future__ import annotations

from organizations.selectors import member_for_user


def pinned_news(user, *, limit: int) -> list:
    from cms.selectors import news_visible_to

    return list(
        news_visible_to(user, through="portal").filter(pinned=True).order_by("-date", "-id")[:limit]
    )


def latest_news(user, *, limit: int, exclude: list | None = None) -> list:
    from cms.selectors import news_visible_to

    qs = news_visible_to(user, through="portal").order_by("-date", "-id")
    if exclude:
        qs = qs.exclude(pk__in=[p.pk for p in exclude])
    return list(qs[:limit])


def latest_stories(user, *, limit: int) -> list:
    from cms.selectors import exemplars_visible_to

    return list(exemplars_visible_to(user, through="portal").order_by("-date", "-id")[:limit])


def my_assignments(user) -> list[dict]:
    from elearning.courses.selectors import assignments_for_member

    return assignments_for_member(member_for_user(user))


def my_points(user) -> dict | None:
    from elearning.contests.selectors import points_summary

    member = member_for_user(user)
    if member is None:
        return None
    summary = points_summary(member=member)
    today = summary.get("today") or {}
    return {"total": summary.get("total", 0), "today": sum(today.values())}
