"""Exact money arithmetic for the planning formulas.

Capacity multiplies cents by policy numbers such as 0.85, and in binary floating point
12,345.70 x 0.85 lands just below the half cent and rounds the wrong way. So policy numbers
become integers over a power of ten, money becomes integer cents, and each rounding is one
integer division that rounds halves up. Amounts are never negative here, so "halves up" and
the contract's "halves away from zero" agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

MONEY = pl.Decimal(18, 2)
CENTS_PER_UNIT = 100
# Digits kept of a policy number: enough for any multiplier a planner writes, and small
# enough that cents x ramp x seniority x focus stays inside a 128-bit integer.
MAX_POLICY_PLACES = 6

_CENT = Decimal("0.01")


def decimal_places(values: Iterable[float]) -> int:
    """Fractional digits needed to hold every value exactly as written in the policy."""
    exponents = (Decimal(repr(value)).normalize().as_tuple().exponent for value in values)
    places = max((-exponent for exponent in exponents if isinstance(exponent, int)), default=0)
    return min(max(places, 0), MAX_POLICY_PLACES)


def to_units(value: float, places: int) -> int:
    """A policy number as an integer count of 10**-places (0.85 at 2 places is 85)."""
    return int(Decimal(repr(value)).scaleb(places).to_integral_value(rounding=ROUND_HALF_UP))


def cents(money: pl.Expr) -> pl.Expr:
    """A Decimal(18,2) amount as integer cents."""
    return (money * CENTS_PER_UNIT).cast(pl.Int128)


def money_from_cents(amount_cents: pl.Expr) -> pl.Expr:
    """Integer cents back to a Decimal(18,2) amount."""
    return (amount_cents.cast(pl.Decimal(38, 0)) * pl.lit(_CENT)).cast(MONEY)


def divide_half_up(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """numerator / denominator rounded halves up (numerator >= 0, denominator > 0)."""
    return (numerator * 2 + denominator) // (denominator * 2)


def divide_ceiling(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """numerator / denominator rounded up to an integer (numerator >= 0, denominator > 0)."""
    return (numerator + denominator - 1) // denominator
