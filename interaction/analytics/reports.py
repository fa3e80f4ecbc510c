"""What members prefer, and how the content teams did: reports over the engagement
roll-ups (`ItemDay`) for a unit subtree and a period.

Each report is ONE SQL query, whatever the size of the subtree: the roll-up rows of the
members' units in the subtree (``u.path LIKE 'unit.path%'``) are grouped by item, channel
or tag, or — for the preference report — by ``substr(u.path, 1, (depth + 1) * steplen)``,
the child unit each member's unit falls under (members of the unit itself form a bucket
equal to its own path), the way the academy's completion reports do. Never a loop over
units.

"Readers" in a period are the members who read an item for the first time in it
(`ItemDay.new_readers`; over an item's whole life: its exact unique readers), so the
forward rate is shares ÷ those readers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from wagtail.models import Page

from cms.models import DigestIssue, ExemplarPage, NewsIndexPage, NewsPage, NewsPageTag
from core import assessment as assessment_figures
from elearning.courses.models import Lesson
from interaction.engagement.models import ItemDay
from organizations.models import OrgUnit
from organizations.selectors import access_unit_by_id

REPORT_ROLES = ["secretary", "editor"]
ORDERS = {
    "reads": "reads DESC",
    "likes": "likes DESC",
    "forward_rate": "forward_rate DESC NULLS LAST, shares DESC",
}
CHANNEL_LABELS = {"exemplar": "先进典型", "digest": "手机报", "lesson": "微党课"}
#: the assessment's ranking score, shown on the page next to the table
SCORE_WEIGHTS = (("published", 10), ("first_pass", 5), ("reads", 0.1), ("likes", 1), ("shares", 2))
SCORE_LABELS = {
    "published": "发布数",
    "first_pass": "一次通过审核数",
    "reads": "阅读数",
    "likes": "点赞数",
    "shares": "分享数",
}


def score_formula() -> str:
    terms = " + ".join(f"{SCORE_LABELS[k]} × {w:g}" for k, w in SCORE_WEIGHTS)
    return f"综合得分 = {terms}；转发率 = 分享数 ÷ 读者数；一次通过率 = 一次通过审核数 ÷ 发布数"


def access_report_unit(user, unit_id) -> OrgUnit:
    """A unit in the subtree of the caller's secretary or editor roles, else ObjectNotFound."""
    return access_unit_by_id(user, unit_id, roles=REPORT_ROLES)


def _rate(a, b):
    return round(a / b, 4) if b else None


def _run(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


_T = {
    "day": ItemDay._meta.db_table,
    "unit": OrgUnit._meta.db_table,
    "page": Page._meta.db_table,
    "lesson": Lesson._meta.db_table,
    "tag": NewsPageTag._meta.db_table,
    "news": NewsPage._meta.db_table,
    "story": ExemplarPage._meta.db_table,
    "digest": DigestIssue._meta.db_table,
    "channel": NewsIndexPage._meta.db_table,
}
# the title of a news channel, joined by its code (NULL for the fixed channels)
_CHANNEL_TITLE = (
    "(SELECT cp.title FROM {channel} ci JOIN {page} cp ON cp.id = ci.page_ptr_id "
    "WHERE ci.channel_code = {col} ORDER BY cp.id LIMIT 1)"
)


def _channel_title(col: str) -> str:
    return _CHANNEL_TITLE.format(channel=_T["channel"], page=_T["page"], col=col)


_SUMS = (
    "SUM(d.reads) AS reads, SUM(d.new_readers) AS readers, "
    "SUM(d.likes) - SUM(d.unlikes) AS likes, SUM(d.shares) AS shares, SUM(d.clicks) AS clicks"
)
_FORWARD = "CAST(SUM(d.shares) AS REAL) / NULLIF(SUM(d.new_readers), 0) AS forward_rate"


def _where(params: dict, unit: OrgUnit, date_from: dt.date, date_to: dt.date) -> str:
    params.update(prefix=unit.path + "%", date_from=date_from, date_to=date_to)
    return "u.path LIKE %(prefix)s AND d.day >= %(date_from)s AND d.day <= %(date_to)s"


def _metrics(row) -> dict:
    reads, readers, likes, shares, clicks = (int(v or 0) for v in row)
    return {
        "reads": reads,
        "readers": readers,
        "likes": likes,
        "shares": shares,
        "clicks": clicks,
        "click_rate": _rate(clicks, shares),
        "forward_rate": _rate(shares, readers),
    }


def top_items(
    *, unit: OrgUnit, date_from: dt.date, date_to: dt.date, order: str = "reads", limit: int = 10
) -> list[dict]:
    """The subtree's most read / liked / forwarded items in the period: one query."""
    params: dict = {"limit": limit}
    where = _where(params, unit, date_from, date_to)
    sql = f"""
        WITH agg AS (
            SELECT d.kind, d.item_id, MAX(d.channel) AS channel, {_SUMS}, {_FORWARD}
            FROM {_T["day"]} d JOIN {_T["unit"]} u ON u.id = d.unit_id
            WHERE {where}
            GROUP BY d.kind, d.item_id
            ORDER BY {ORDERS[order]}, d.kind, d.item_id
            LIMIT %(limit)s
        )
        SELECT agg.kind, agg.item_id, agg.channel, COALESCE(p.title, l.title, ''),
               agg.reads, agg.readers, agg.likes, agg.shares, agg.clicks
        FROM agg
        LEFT JOIN {_T["page"]} p ON agg.kind <> 'lesson' AND p.id = agg.item_id
        LEFT JOIN {_T["lesson"]} l ON agg.kind = 'lesson' AND l.id = agg.item_id
        ORDER BY {ORDERS[order]}, agg.kind, agg.item_id
    """  # noqa: S608 (table names and the ORDER BY come from this module)
    return [
        {"kind": r[0], "id": r[1], "channel": r[2], "title": r[3], **_metrics(r[4:9])}
        for r in _run(sql, params)
    ]


def top_channels(
    *, unit: OrgUnit, date_from: dt.date, date_to: dt.date, order: str = "reads"
) -> list[dict]:
    params: dict = {}
    where = _where(params, unit, date_from, date_to)
    sql = f"""
        SELECT d.channel, {_SUMS}, {_FORWARD}, {_channel_title("d.channel")} AS title
        FROM {_T["day"]} d JOIN {_T["unit"]} u ON u.id = d.unit_id
        WHERE {where}
        GROUP BY d.channel
        ORDER BY {ORDERS[order]}, d.channel
    """  # noqa: S608
    return [
        {"channel": r[0], "label": channel_label(r[0], r[7]), **_metrics(r[1:6])}
        for r in _run(sql, params)
    ]


def top_tags(
    *, unit: OrgUnit, date_from: dt.date, date_to: dt.date, order: str = "reads", limit: int = 20
) -> list[dict]:
    """News tags by the engagement of the news carrying them."""
    params: dict = {"limit": limit}
    where = _where(params, unit, date_from, date_to)
    sql = f"""
        SELECT t.name, {_SUMS}, {_FORWARD}
        FROM {_T["day"]} d JOIN {_T["unit"]} u ON u.id = d.unit_id
        JOIN {_T["tag"]} nt ON nt.content_object_id = d.item_id
        JOIN taggit_tag t ON t.id = nt.tag_id
        WHERE d.kind = 'news' AND {where}
        GROUP BY t.name
        ORDER BY {ORDERS[order]}, t.name
        LIMIT %(limit)s
    """  # noqa: S608
    return [{"tag": r[0], **_metrics(r[1:6])} for r in _run(sql, params)]


def channel_label(code: str, title: str | None = None) -> str:
    return CHANNEL_LABELS.get(code) or title or code


def preferences(*, unit: OrgUnit, date_from: dt.date, date_to: dt.date) -> dict:
    """Each child unit's (and the unit's own) members' reads per channel and the share of
    their reads each channel has: one query grouped by substr(unit path)."""
    params: dict = {"L": (unit.depth + 1) * OrgUnit.steplen}
    where = _where(params, unit, date_from, date_to)
    sql = f"""
        WITH agg AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket, d.channel, SUM(d.reads) AS reads
            FROM {_T["day"]} d JOIN {_T["unit"]} u ON u.id = d.unit_id
            WHERE {where}
            GROUP BY substr(u.path, 1, %(L)s), d.channel
        )
        SELECT c.id, c.code, c.name, c.path, agg.channel, agg.reads,
               {_channel_title("agg.channel")}
        FROM agg JOIN {_T["unit"]} c ON c.path = agg.bucket
        ORDER BY c.path, agg.channel
    """  # noqa: S608
    rows: dict[int, dict] = {}
    channels: dict[str, int] = {}
    titles: dict[str, str] = {}
    for unit_id, code, name, path, channel, reads, title in _run(sql, params):
        titles[channel] = channel_label(channel, title)
        row = rows.setdefault(
            unit_id,
            {
                "unit_id": unit_id,
                "code": code,
                "name": name,
                "is_unit_itself": path == unit.path,
                "reads": 0,
                "channels": {},
            },
        )
        row["channels"][channel] = int(reads)
        row["reads"] += int(reads)
        channels[channel] = channels.get(channel, 0) + int(reads)
    order = sorted(channels, key=lambda c: (-channels[c], c))
    out = []
    for row in rows.values():
        row["shares"] = {c: _rate(row["channels"].get(c, 0), row["reads"]) for c in order}
        out.append(row)
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "date_from": date_from,
        "date_to": date_to,
        "channels": [{"channel": c, "label": titles[c], "reads": channels[c]} for c in order],
        "rows": out,
    }


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return start, nxt


def assessment(*, unit: OrgUnit, month: dt.date) -> dict:
    """Per editor (the page's owner) and team (its publishing unit) in the subtree: items
    first published in the month, how many passed review the first time (approved, never
    sent back: no workflow of the page ended in "needs changes"), and the reads, likes,
    shares and forward rate those items have earned to date — ranked by the score of
    `SCORE_WEIGHTS`. One query."""
    start, end = month_bounds(month)
    page_ct = ContentType.objects.get_for_model(Page).pk
    params = {"prefix": unit.path + "%", "start": start, "end": end, "ct": page_ct}
    sql = f"""
        WITH items AS (
            SELECT p.id, p.owner_id, c.kind, c.publishing_unit_id AS team_id,
                   CASE WHEN EXISTS (
                            SELECT 1 FROM wagtailcore_workflowstate ws
                            WHERE ws.base_content_type_id = %(ct)s
                              AND ws.object_id = CAST(p.id AS TEXT) AND ws.status = 'approved')
                         AND NOT EXISTS (
                            SELECT 1 FROM wagtailcore_workflowstate ws
                            WHERE ws.base_content_type_id = %(ct)s
                              AND ws.object_id = CAST(p.id AS TEXT)
                              AND ws.status = 'needs_changes')
                        THEN 1 ELSE 0 END AS first_pass
            FROM {_T["page"]} p
            JOIN (
                SELECT page_ptr_id, publishing_unit_id, 'news' AS kind FROM {_T["news"]}
                UNION ALL
                SELECT page_ptr_id, publishing_unit_id, 'story' FROM {_T["story"]}
                UNION ALL
                SELECT page_ptr_id, publishing_unit_id, 'digest' FROM {_T["digest"]}
            ) c ON c.page_ptr_id = p.id
            JOIN {_T["unit"]} t ON t.id = c.publishing_unit_id
            WHERE t.path LIKE %(prefix)s
              AND p.first_published_at >= %(start)s AND p.first_published_at < %(end)s
        ), eng AS (
            SELECT d.kind, d.item_id, SUM(d.reads) AS reads, SUM(d.new_readers) AS readers,
                   SUM(d.likes) - SUM(d.unlikes) AS likes, SUM(d.shares) AS shares
            FROM {_T["day"]} d JOIN items i ON i.kind = d.kind AND i.id = d.item_id
            GROUP BY d.kind, d.item_id
        )
        SELECT i.owner_id, COALESCE(usr.username, ''),
               COALESCE(NULLIF(TRIM(usr.last_name || usr.first_name), ''), usr.username, ''),
               i.team_id, t.code, t.name,
               COUNT(*), SUM(i.first_pass), COALESCE(SUM(e.reads), 0),
               COALESCE(SUM(e.readers), 0), COALESCE(SUM(e.likes), 0), COALESCE(SUM(e.shares), 0)
        FROM items i
        JOIN {_T["unit"]} t ON t.id = i.team_id
        LEFT JOIN auth_user usr ON usr.id = i.owner_id
        LEFT JOIN eng e ON e.kind = i.kind AND e.item_id = i.id
        GROUP BY i.owner_id, usr.username, usr.last_name, usr.first_name, i.team_id, t.code, t.name
    """  # noqa: S608
    rows = []
    for r in _run(sql, params):
        published, first_pass, reads, readers, likes, shares = (int(v or 0) for v in r[6:12])
        row = {
            "editor_id": r[0],
            "editor": r[2] or "（无）",
            "username": r[1],
            "team_id": r[3],
            "team_code": r[4],
            "team": r[5],
            "published": published,
            "first_pass": first_pass,
            "first_pass_rate": _rate(first_pass, published),
            "reads": reads,
            "readers": readers,
            "likes": likes,
            "shares": shares,
            "forward_rate": _rate(shares, readers),
        }
        row["score"] = round(sum(row[k] * w for k, w in SCORE_WEIGHTS), 1)
        rows.append(row)
    rows.sort(key=lambda x: (-x["score"], x["team_code"], x["editor"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "month": f"{month:%Y-%m}",
        "formula": score_formula(),
        "rows": rows,
        # what other apps add per team (core.assessment: the manuscripts), one query each
        "team_figures": assessment_figures.team_figures(unit.path, start, end),
    }
