"""compute_quota_risk against a plain-Python reference on seeded random seller-periods.

The production code is vectorised (prefix sums, integer cents); the reference below walks
the contract's words one row at a time with exact fractions, so the two can only agree if
the vectorised formulas say the same thing.
"""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from quota_pipeline.planning import compute_quota_risk

PERIODS = [
    ("FY2027-Q1", date(2027, 1, 1), date(2027, 3, 31)),
    ("FY2027-M05", date(2027, 5, 1), date(2027, 5, 31)),
    ("FY2027-H2", date(2027, 7, 1), date(2027, 12, 31)),
    ("ODD", date(2027, 2, 28), date(2027, 4, 2)),
]


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_in_seat(hire: date, start: date) -> int:
    months = 0
    while _add_months(hire, months + 1) <= start:
        months += 1
    return months


def _reference(row: dict, policy) -> dict:
    curve = [Fraction(Decimal(repr(step))) for step in policy.ramp_curve]
    start, end = row["period_start_date"], row["period_end_date"]
    first = _months_in_seat(row["hire_date"], start)
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    steps = [curve[min(k, len(curve) - 1)] for k in range(first, first + count)]
    ramp = sum(steps, Fraction(0)) / count
    seniority = Fraction(Decimal(repr(policy.seniority_multiplier[row["seniority"]])))
    focus_key = row["strategic_focus"] or "none"
    focus = Fraction(Decimal(repr(policy.focus_multiplier[focus_key])))
    exact = Fraction(row["sum_account_targets"]) * ramp * seniority * focus
    capacity = Decimal(exact.numerator) / Decimal(exact.denominator)
    capacity = capacity.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    step = Decimal(policy.quota_rounding)
    recommended = (capacity / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    quota = row["quota_amount_corp"]
    bands = policy.risk_bands
    if quota == 0:
        level = "low"
    elif capacity == 0:
        level = "critical"
    else:
        ratio = Fraction(quota) / Fraction(capacity)
        bounds = [("low", bands.low), ("medium", bands.medium), ("high", bands.high)]
        fits = [name for name, bound in bounds if ratio <= Fraction(Decimal(repr(bound)))]
        level = fits[0] if fits else "critical"
    return {
        "ramp_factor": float(ramp),
        "adjusted_capacity": capacity,
        "recommended_quota": recommended.quantize(Decimal("0.01")),
        "risk_level": level,
    }


def _quota_candidates(rng: random.Random, targets: Decimal) -> list[Decimal]:
    over = (targets * Decimal("1.1")).quantize(Decimal("0.01"))
    return [Decimal("0.00"), targets, over, Decimal(rng.randrange(0, 60_000_000)) / 100]


def _random_rows(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        period, start, end = rng.choice(PERIODS)
        targets = Decimal(rng.randrange(0, 50_000_000)) / 100
        rows.append(
            {
                "seller_id": f"s{index}",
                "period": period,
                "period_start_date": start,
                "period_end_date": end,
                "hire_date": start + timedelta(days=rng.randrange(-400, 60)),
                "seniority": rng.choice(["junior", "mid", "senior", "principal"]),
                "strategic_focus": rng.choice(["new_logo", "expansion", "strategic", None]),
                "sum_account_targets": targets,
                "quota_amount_corp": rng.choice(_quota_candidates(rng, targets)),
            }
        )
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_formulas_match_the_reference(policy, seller_rollup, seed: int) -> None:
    rows = _random_rows(seed, 400)
    result = compute_quota_risk(seller_rollup(*rows), policy)
    for row, computed in zip(rows, result.iter_rows(named=True), strict=True):
        expected = _reference(row, policy)
        assert computed["ramp_factor"] == pytest.approx(expected["ramp_factor"]), row
        assert computed["adjusted_capacity"] == expected["adjusted_capacity"], row
        assert computed["recommended_quota"] == expected["recommended_quota"], row
        assert computed["risk_level"] == expected["risk_level"], row
