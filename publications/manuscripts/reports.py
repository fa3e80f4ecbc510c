"""The manuscript report per sending unit and period: submitted, adopted, adoption
rate, score — ranked. ONE query over the subtree (the sending units whose path starts
with the unit's), never a loop over units; the content-team assessment's manuscript
figures come from the same query (`team_figures`, registered in core.assessment)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from core.spreadsheet import export_stamp, safe_row
from organizations.models import OrgUnit
from publications.manuscripts.models import Manuscript

ADOPTED = Manuscript.ADOPTED


def period_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[date_from 00:00, the day after date_to 00:00) in the project's zone."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _rows(path: str, start: dt.datetime, end: dt.datetime):
    return (
        Manuscript.objects.filter(
            sender_unit__path__startswith=path,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .exclude(status=Manuscript.Status.DRAFT)
        .values("sender_unit_id", "sender_unit__code", "sender_unit__name", "sender_unit__path")
        .annotate(
            submitted=Count("id"),
            adopted=Count("id", filter=Q(status__in=ADOPTED)),
            adopted_bulletin=Count("id", filter=Q(status=Manuscript.Status.ADOPTED_BULLETIN)),
            adopted_news=Count("id", filter=Q(status=Manuscript.Status.ADOPTED_NEWS)),
            score=Coalesce(
                Sum("score__points"),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            ),
        )
        .order_by("-score", "-adopted", "sender_unit__path")
    )


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def unit_report(*, unit: OrgUnit, date_from: dt.date, date_to: dt.date) -> dict:
    """Per sending unit of `unit`'s subtree, items submitted in the period (by their
    first submission), ranked by score, then adopted. One query."""
    start, end = period_bounds(date_from, date_to)
    rows = []
    for rank, r in enumerate(_rows(unit.path, start, end), 1):
        rows.append(
            {
                "rank": rank,
                "unit_id": r["sender_unit_id"],
                "unit_code": r["sender_unit__code"],
                "unit_name": r["sender_unit__name"],
                "submitted": r["submitted"],
                "adopted": r["adopted"],
                "adopted_bulletin": r["adopted_bulletin"],
                "adopted_news": r["adopted_news"],
                "adoption_rate": _rate(r["adopted"], r["submitted"]),
                "score": float(r["score"]),
            }
        )
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "rows": rows,
    }


COLUMNS = (
    ("rank", "排名"),
    ("unit_name", "投稿单位"),
    ("submitted", "投稿数"),
    ("adopted", "采用数"),
    ("adopted_bulletin", "简报采用"),
    ("adopted_news", "新闻采用"),
    ("adoption_rate", "采用率"),
    ("score", "得分"),
)


def report_xlsx(report: dict) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "稿件采用统计"
    ws.append(
        safe_row(
            [f"{report['unit']['name']} · {report['date_from']}—{report['date_to']} · 稿件采用统计"]
        )
    )
    ws.append(safe_row([label for _, label in COLUMNS]))
    for row in report["rows"]:
        ws.append(
            safe_row(
                [f"{row[k] * 100:.1f}%" if k == "adoption_rate" else row[k] for k, _ in COLUMNS]
            )
        )
    ws.append([export_stamp()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the content-team assessment's manuscript figures ------------------------------------
TEAM_COLUMNS = (
    ("manuscripts_submitted", "投稿"),
    ("manuscripts_adopted", "采用"),
    ("manuscripts_score", "稿件得分"),
)


def team_figures(path: str, start: dt.datetime, end: dt.datetime) -> dict[int, dict]:
    return {
        r["sender_unit_id"]: {
            "team": r["sender_unit__name"],
            "team_code": r["sender_unit__code"],
            "manuscripts_submitted": r["submitted"],
            "manuscripts_adopted": r["adopted"],
            "manuscripts_score": float(r["score"]),
        }
        for r in _rows(path, start, end)
    }
