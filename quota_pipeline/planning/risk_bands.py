"""Risk levels: where a quota-to-capacity ratio falls in the policy's risk bands.

The bands are upper bounds (docs/contract.md section 2): a ratio at a bound still belongs to the
lower level, above the last bound is critical. Two cases sit outside the ratio: a quota of
0 cannot be missed (low), and a positive quota with no capacity cannot be met (critical).
"""

from __future__ import annotations

import polars as pl

from quota_pipeline.policy import RiskBands

LOW = "low"
MEDIUM = "medium"
HIGH = "high"
CRITICAL = "critical"


def band_floors(bands: RiskBands) -> dict[str, float]:
    """The ratio each level above low starts above (its lower bound)."""
    return {MEDIUM: bands.low, HIGH: bands.medium, CRITICAL: bands.high}


def risk_level(quota: pl.Expr, capacity: pl.Expr, ratio: pl.Expr, bands: RiskBands) -> pl.Expr:
    """low / medium / high / critical; null only when capacity is unknown."""
    return (
        pl.when(quota == 0)
        .then(pl.lit(LOW))
        .when(capacity == 0)
        .then(pl.lit(CRITICAL))
        .when(ratio <= bands.low)
        .then(pl.lit(LOW))
        .when(ratio <= bands.medium)
        .then(pl.lit(MEDIUM))
        .when(ratio <= bands.high)
        .then(pl.lit(HIGH))
        .when(ratio.is_not_null())
        .then(pl.lit(CRITICAL))
    )
