"""Ramp factor: whole months in seat, averaged over the calendar months a period touches."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from quota_pipeline.planning.ramp import RampCurve, months_in_seat, months_touched, ramp_factor


def _months_in_seat(hire: date, start: date) -> int:
    frame = pl.DataFrame({"hire": [hire], "start": [start]})
    return frame.select(months_in_seat(pl.col("hire"), pl.col("start"))).item()


@pytest.mark.parametrize(
    ("hire", "start", "expected"),
    [
        (date(2027, 1, 15), date(2027, 2, 14), 0),
        (date(2027, 1, 15), date(2027, 2, 15), 1),
        (date(2027, 1, 15), date(2027, 3, 14), 1),
        (date(2027, 1, 15), date(2027, 1, 15), 0),  # hired on the start
        (date(2027, 3, 1), date(2027, 2, 1), 0),  # hired after the start
        (date(2027, 1, 31), date(2027, 2, 28), 1),  # anniversary clipped to month end
        (date(2027, 1, 31), date(2027, 3, 30), 1),
        (date(2025, 11, 20), date(2027, 1, 1), 13),
    ],
)
def test_months_in_seat_counts_complete_months(hire: date, start: date, expected: int) -> None:
    assert _months_in_seat(hire, start) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2027, 2, 1), date(2027, 4, 30), 3),
        (date(2027, 1, 20), date(2027, 2, 5), 2),
        (date(2027, 1, 1), date(2027, 12, 31), 12),
        (date(2026, 11, 1), date(2027, 1, 31), 3),
        (date(2027, 3, 1), date(2027, 3, 1), 1),
    ],
)
def test_months_touched_counts_calendar_months(start: date, end: date, expected: int) -> None:
    frame = pl.DataFrame({"start": [start], "end": [end]})
    assert frame.select(months_touched(pl.col("start"), pl.col("end"))).item() == expected


@pytest.mark.parametrize(
    ("hire", "start", "end", "expected"),
    [
        # m = 0, one month: curve[0]
        (date(2027, 1, 15), date(2027, 2, 14), date(2027, 2, 28), 0.0),
        # m = 1, one month: curve[1]
        (date(2027, 1, 15), date(2027, 2, 15), date(2027, 2, 28), 0.25),
        # m = 1 over a quarter: mean(0.25, 0.50, 0.75)
        (date(2027, 1, 1), date(2027, 2, 1), date(2027, 4, 30), 0.5),
        # m = 3 over a quarter: mean(0.75, 1.0, 1.0), the last step holding
        (date(2027, 1, 1), date(2027, 4, 1), date(2027, 6, 30), 2.75 / 3),
        # m = 10, far beyond the curve
        (date(2026, 3, 1), date(2027, 1, 1), date(2027, 3, 31), 1.0),
        # hired after the start: m = 0 over a quarter, mean(0, 0.25, 0.5)
        (date(2027, 2, 10), date(2027, 1, 1), date(2027, 3, 31), 0.25),
    ],
)
def test_ramp_factor_is_mean_of_curve_over_touched_months(
    policy, hire: date, start: date, end: date, expected: float
) -> None:
    frame = pl.DataFrame({"hire": [hire], "start": [start], "end": [end]})
    factor = frame.select(
        ramp_factor(pl.col("hire"), pl.col("start"), pl.col("end"), RampCurve.from_policy(policy))
    ).item()
    assert factor == pytest.approx(expected)


def test_ramp_curve_is_held_as_exact_units(policy) -> None:
    curve = RampCurve.from_policy(policy)
    assert curve.steps == (0, 25, 50, 75, 100)
    assert curve.scale == 100
