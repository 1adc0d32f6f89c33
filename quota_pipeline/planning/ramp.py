"""Ramp: how productive a seller is in a period, from whole months in seat.

A new hire does not carry a full book on day one, so capacity is scaled by the policy's
ramp curve (docs/contract.md section 3). A period can span several calendar months, and a seller
keeps ramping inside it, so the factor is the mean of the curve over every month the period
touches. The mean is computed without a loop over rows: with P(x) the sum of the first x
steps (the last step repeating past the end of the curve), the months m .. m+n-1 sum to
P(m+n) - P(m), and P is a lookup in the curve's running sums plus a linear tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

import polars as pl

from quota_pipeline.planning.exact import decimal_places, to_units
from quota_pipeline.policy import Policy

MONTHS_PER_YEAR = 12


def months_in_seat(hire_date: pl.Expr, start_date: pl.Expr) -> pl.Expr:
    """Complete months from hire to period start; 0 when hired on or after the start.

    A month is complete on the same day of a later month (Jan 15 -> Feb 15), or on that
    month's last day when it is shorter (Jan 31 -> Feb 28), as calendar arithmetic does.
    """
    month_steps = _month_index(start_date) - _month_index(hire_date)
    anniversary_day = pl.min_horizontal(
        hire_date.dt.day().cast(pl.Int64), start_date.dt.days_in_month().cast(pl.Int64)
    )
    short_of_anniversary = (start_date.dt.day().cast(pl.Int64) < anniversary_day).cast(pl.Int64)
    return (
        pl.when(hire_date >= start_date)
        .then(pl.lit(0, pl.Int64))
        .otherwise(month_steps - short_of_anniversary)
    )


def months_touched(start_date: pl.Expr, end_date: pl.Expr) -> pl.Expr:
    """Calendar months a period touches (Feb 1 to Apr 30 is 3, Jan 20 to Feb 5 is 2)."""
    return _month_index(end_date) - _month_index(start_date) + 1


def _month_index(date: pl.Expr) -> pl.Expr:
    return date.dt.year().cast(pl.Int64) * MONTHS_PER_YEAR + date.dt.month().cast(pl.Int64)


@dataclass(frozen=True)
class RampCurve:
    """The policy's ramp curve as integers over 10**places, so sums of steps are exact."""

    steps: tuple[int, ...]
    places: int

    @classmethod
    def from_policy(cls, policy: Policy) -> RampCurve:
        places = decimal_places(policy.ramp_curve)
        return cls(tuple(to_units(step, places) for step in policy.ramp_curve), places)

    @property
    def scale(self) -> int:
        """Units per 1.0 of productivity."""
        return 10**self.places

    def step_total(self, first_month: pl.Expr, month_count: pl.Expr) -> pl.Expr:
        """Sum, in units, of the steps for months first_month .. first_month+month_count-1."""
        return self._running_sum(first_month + month_count) - self._running_sum(first_month)

    def factor(self, first_month: pl.Expr, month_count: pl.Expr) -> pl.Expr:
        """Mean productivity over those months, as a float between the curve's bounds."""
        return self.step_total(first_month, month_count) / (month_count * self.scale)

    def _running_sum(self, months: pl.Expr) -> pl.Expr:
        """Sum of the steps for months 0 .. months-1; past the curve the last step repeats."""
        length = len(self.steps)
        running = dict(enumerate(accumulate(self.steps, initial=0)))
        within_curve = months.clip(upper_bound=length).replace_strict(
            running, return_dtype=pl.Int64
        )
        past_curve = (months - length).clip(lower_bound=0) * self.steps[-1]
        return within_curve + past_curve


def ramp_factor(
    hire_date: pl.Expr, start_date: pl.Expr, end_date: pl.Expr, curve: RampCurve
) -> pl.Expr:
    """The contract's ramp_factor of a seller in a period."""
    return curve.factor(months_in_seat(hire_date, start_date), months_touched(start_date, end_date))
