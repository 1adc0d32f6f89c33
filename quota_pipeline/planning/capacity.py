"""Adjusted capacity: how much of a seller's account targets they can be expected to close.

Capacity scales the sum of account targets by ramp, seniority and strategic focus
(docs/contract.md section 3) and is money, so it is computed exactly: cents times the policy's
numbers as integers, one division rounding halves up to the cent. recommended_quota then
rounds that capacity to the policy's quota_rounding, again in integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from quota_pipeline.planning.exact import (
    CENTS_PER_UNIT,
    decimal_places,
    divide_half_up,
    to_units,
)
from quota_pipeline.planning.ramp import RampCurve
from quota_pipeline.policy import Policy

# The focus_multiplier key that applies to sellers without a strategic focus.
NO_FOCUS = "none"


@dataclass(frozen=True)
class Multiplier:
    """A policy multiplier by category, as floats to show and integer units to compute."""

    factors: Mapping[str, float]
    places: int

    @classmethod
    def of(cls, factors: Mapping[str, float]) -> Multiplier:
        return cls(dict(factors), decimal_places(factors.values()))

    @property
    def scale(self) -> int:
        """Units per 1.0."""
        return 10**self.places

    def factor(self, category: pl.Expr) -> pl.Expr:
        return category.replace_strict(dict(self.factors), return_dtype=pl.Float64)

    def units(self, category: pl.Expr) -> pl.Expr:
        exact = {key: to_units(value, self.places) for key, value in self.factors.items()}
        return category.replace_strict(exact, return_dtype=pl.Int128)


def focus_category(strategic_focus: pl.Expr) -> pl.Expr:
    """A seller's focus as a focus_multiplier key (no focus is the policy's `none`)."""
    return strategic_focus.fill_null(NO_FOCUS)


def adjusted_capacity_cents(
    policy: Policy,
    targets_cents: pl.Expr,
    first_month: pl.Expr,
    month_count: pl.Expr,
    seniority: pl.Expr,
    focus: pl.Expr,
) -> pl.Expr:
    """SAT x ramp x seniority x focus in cents, rounded halves up, without float error."""
    curve = RampCurve.from_policy(policy)
    by_seniority = Multiplier.of(policy.seniority_multiplier)
    by_focus = Multiplier.of(policy.focus_multiplier)
    numerator = (
        targets_cents
        * curve.step_total(first_month, month_count).cast(pl.Int128)
        * by_seniority.units(seniority)
        * by_focus.units(focus_category(focus))
    )
    denominator = month_count.cast(pl.Int128) * (curve.scale * by_seniority.scale * by_focus.scale)
    return divide_half_up(numerator, denominator)


def recommended_quota_cents(capacity_cents: pl.Expr, quota_rounding: int) -> pl.Expr:
    """Capacity rounded to the nearest multiple of quota_rounding, halves up."""
    step = quota_rounding * CENTS_PER_UNIT
    return divide_half_up(capacity_cents, step) * step
