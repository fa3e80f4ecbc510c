"""Dues amounts: integer fen, never floats.

The rule (中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》): an employed
member pays a percentage of the monthly base, the tier chosen by the WHOLE base (not a
progressive tax): ≤ 3,000 yuan 0.5 %, 3,000–5,000 1 %, 5,000–10,000 1.5 %, > 10,000 2 %;
a retired member ≤ 5,000 0.5 %, above 1 %; students, unemployed members and members on
subsistence allowance pay a fixed 0.2 yuan (20 fen) a month. The rates live in
`DuesRate` rows (seeded with these defaults by a migration) so a regulation change is
data, not code.

Rounding: base_fen × rate_bp / 10,000 rounded half-up to the fen (Decimal ROUND_HALF_UP;
in SQL the identical `(base_fen * rate_bp + 5000) / 10000` on non-negative integers), so
a 3,333.33-yuan base at 1 % owes 33.33 yuan and 1,234.50 at 0.5 % owes 6.17 yuan.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

BP_DIVISOR = 10_000  # rates are in basis points: 50 = 0.5 %


def percent_of(base_fen: int, rate_bp: int) -> int:
    """`rate_bp` basis points of `base_fen`, half-up to the fen."""
    if base_fen < 0 or rate_bp < 0:
        raise ValueError("base and rate are never negative")
    amount = Decimal(base_fen) * Decimal(rate_bp) / Decimal(BP_DIVISOR)
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan_to_fen(value) -> int:
    """'12.34' / 12.34 (from a form or a provider's JSON) → 1234; more than two decimals
    or a non-number raises ValueError (never silently rounded)."""
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"不是金额：{value!r}") from None
    if not d.is_finite():
        raise ValueError(f"不是金额：{value!r}")
    fen = d * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"金额最多两位小数：{value!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """1234 → '12.34' (exact; what providers and people read)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"
