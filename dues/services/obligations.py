"""The monthly obligations: one set-based INSERT … SELECT for the whole organisation."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from dues.services.common import (
    month_start,
)

OBLIGATIONS_SQL = """
    INSERT INTO dues_ledgerentry
        (member_id, unit_id, month, kind, amount_fen, reason, created_at, order_id, approved_by_id)
    SELECT m.id,
           COALESCE((SELECT t.from_unit_id FROM organizations_transfer t
                     WHERE t.member_id = m.id AND t.transferred_at >= %(start)s
                     ORDER BY t.transferred_at LIMIT 1), m.unit_id),
           %(month)s, 'obligation',
           r.fixed_fen + (b.base_fen * r.rate_bp + 5000) / 10000,
           '', %(now)s, NULL, NULL
    FROM organizations_member m
    JOIN dues_duesbase b ON b.member_id = m.id AND b.year = (
        SELECT MAX(b2.year) FROM dues_duesbase b2
        WHERE b2.member_id = m.id AND b2.year <= %(year)s)
    JOIN dues_duesrate r ON r.category = b.category AND b.base_fen > r.lower_fen
         AND (r.upper_fen IS NULL OR b.base_fen <= r.upper_fen)
    WHERE m.status = 'active'
      AND (m.join_date IS NULL OR m.join_date <= %(end)s)
      AND r.fixed_fen + (b.base_fen * r.rate_bp + 5000) / 10000 > 0
      AND NOT EXISTS (SELECT 1 FROM dues_ledgerentry e
                      WHERE e.member_id = m.id AND e.month = %(month)s AND e.kind = 'obligation')
"""


def obligations_generate(*, month: dt.date) -> int:
    """Every active member's obligation for `month` (one INSERT … SELECT; idempotent: a
    member who already has the month's obligation is skipped, and a unique index backs
    it). Probationary members owe from the month of their admission (join_date); the
    month is owed to the unit the member belonged to on its first day (a member
    transferred mid-month owes that month to the old unit, the next to the new one).
    Members without any base (or in the 经批准免交 category) owe nothing. Returns the
    number of obligations created."""
    month = month_start(month)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    start = dt.datetime.combine(month, dt.time(), tzinfo=timezone.get_default_timezone())
    params = {
        "start": start,
        "month": month,
        "year": month.year,
        "end": last,
        "now": timezone.now(),
    }
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(OBLIGATIONS_SQL, params)
        return max(cur.rowcount, 0)
