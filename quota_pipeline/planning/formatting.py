"""Numbers as planners read them, rendered by Polars expressions.

Reasons and levers are read by people deciding quotas: money in whole corporate-currency
units with thousands separators, whole percentages, multiples with one decimal, and policy
thresholds as written (0.40 is "40", 8.0 is "8"). Row values are expressions so a whole
plan renders in one pass; thresholds are policy constants and are formatted once here.
"""

from __future__ import annotations

from decimal import Decimal
from string import Formatter

import polars as pl

from quota_pipeline.planning.exact import CENTS_PER_UNIT, cents, divide_half_up

PERCENT = 100
# Ratios are floats: round away binary noise (31.4999999999 for 31.5) before rounding for show.
_FLOAT_NOISE_DIGITS = 6


def render(template: str, **fields: pl.Expr | str) -> pl.Expr:
    """Fill a template's {name} fields with expressions or fixed text; null if any is null."""
    parts: list[pl.Expr] = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            value = fields[name]
            parts.append(value if isinstance(value, pl.Expr) else pl.lit(value))
    return pl.concat_str(parts)


def plural(count: pl.Expr, one: str, many: str, **fields: pl.Expr | str) -> pl.Expr:
    """Render `one` when count is 1, else `many`; both templates get a {count} field."""
    text_fields = {"count": count.cast(pl.String), **fields}
    return (
        pl.when(count == 1).then(render(one, **text_fields)).otherwise(render(many, **text_fields))
    )


def whole_percent(share: pl.Expr) -> pl.Expr:
    """A share (0.456) as a whole percentage ("46"), halves away from zero."""
    return _rounded(share * PERCENT, 0).cast(pl.Int64).cast(pl.String)


def one_decimal(value: pl.Expr) -> pl.Expr:
    """A multiple (9.05) with one decimal ("9.1"), halves away from zero."""
    return _rounded(value, 1).cast(pl.String)


def money(amount: pl.Expr, currency: str) -> pl.Expr:
    """A non-negative Decimal amount in whole units with separators ("1,234,568 USD")."""
    whole_units = divide_half_up(cents(amount), CENTS_PER_UNIT).cast(pl.String)
    return pl.concat_str(_thousands(whole_units), pl.lit(f" {currency}"))


def threshold(value: float) -> str:
    """A policy number as written, without trailing zeros (4.0 -> "4", 7.5 -> "7.5")."""
    return _plain(Decimal(repr(value)))


def threshold_percent(share: float) -> str:
    """A policy share as a percentage (0.40 -> "40")."""
    return _plain(Decimal(repr(share)) * PERCENT)


def threshold_percent_over(ratio: float) -> str:
    """A policy ratio as a percentage above 1 (1.25 -> "25", 0.9 -> "-10")."""
    return _plain((Decimal(repr(ratio)) - 1) * PERCENT)


def _rounded(value: pl.Expr, decimals: int) -> pl.Expr:
    return value.round(_FLOAT_NOISE_DIGITS).round(decimals, mode="half_away_from_zero")


def _thousands(digits: pl.Expr) -> pl.Expr:
    """Insert a comma every three digits from the right ("1234567" -> "1,234,567")."""
    return (
        digits.str.reverse()
        .str.replace_all(r"(\d{3})", "${1},")
        .str.strip_chars_end(",")
        .str.reverse()
    )


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text
