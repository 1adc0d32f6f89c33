"""risk.quota_risk: can each seller reach their quota with the accounts they own?

For every seller-period with a quota, the quota is set against the seller's account targets
adjusted for ramp, seniority and strategic focus (docs/contract.md section 3), banded into a risk
level by the policy, and explained in sentences with the planning levers that would help.
Plain Polars over the seller rollup mart, so it runs and is tested without Dagster or DuckDB.
"""

from __future__ import annotations

import polars as pl

from quota_pipeline.planning.capacity import (
    Multiplier,
    adjusted_capacity_cents,
    focus_category,
    recommended_quota_cents,
)
from quota_pipeline.planning.exact import MONEY, cents, money_from_cents
from quota_pipeline.planning.ramp import RampCurve, months_in_seat, months_touched
from quota_pipeline.planning.reasons import seller_actions, seller_reasons
from quota_pipeline.planning.risk_bands import risk_level
from quota_pipeline.policy import Policy

QUOTA_RISK_SCHEMA = pl.Schema(
    {
        "period": pl.String,
        "seller_id": pl.String,
        "territory_id": pl.String,
        "quota": MONEY,
        "sum_account_targets": MONEY,
        "gap": MONEY,
        "quota_to_targets_ratio": pl.Float64,
        "ramp_factor": pl.Float64,
        "seniority_multiplier": pl.Float64,
        "focus_multiplier": pl.Float64,
        "adjusted_capacity": MONEY,
        "quota_to_capacity_ratio": pl.Float64,
        "quota_to_ote": pl.Float64,
        "top1_share": pl.Float64,
        "high_value_account_count": pl.Int64,
        "risk_level": pl.String,
        "reasons": pl.List(pl.String),
        "recommended_actions": pl.List(pl.String),
        "recommended_quota": MONEY,
        "seller_status": pl.String,
        "accounts_missing_target": pl.Int64,
        "fiscal_year": pl.Int64,
    }
)

_QUOTA = pl.col("quota")
_TARGETS = pl.col("sum_account_targets")
_CAPACITY = pl.col("adjusted_capacity")


def compute_quota_risk(seller_rollup: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """One row per seller and period with a quota, as QUOTA_RISK_SCHEMA.

    Rows keep the order of seller_rollup.
    """
    return (
        seller_rollup.lazy()
        .with_columns(fiscal_year_quota=_fiscal_year_quota())
        .filter(pl.col("quota_amount_corp").is_not_null())
        .with_columns(
            quota=pl.col("quota_amount_corp").cast(MONEY),
            sum_account_targets=pl.col("sum_account_targets").cast(MONEY),
            months_in_seat=months_in_seat(pl.col("hire_date"), pl.col("period_start_date")),
            months_touched=months_touched(pl.col("period_start_date"), pl.col("period_end_date")),
        )
        .with_columns(_capacity_columns(policy))
        .with_columns(_ratio_columns())
        .with_columns(
            risk_level=risk_level(
                _QUOTA, _CAPACITY, pl.col("quota_to_capacity_ratio"), policy.risk_bands
            )
        )
        .with_columns(reasons=seller_reasons(policy), recommended_actions=seller_actions(policy))
        .select(pl.col(name).cast(dtype) for name, dtype in QUOTA_RISK_SCHEMA.items())
        .collect()
    )


def _fiscal_year_quota() -> pl.Expr:
    """The seller's quotas summed over the periods of the row's fiscal year."""
    return (
        pl.col("quota_amount_corp")
        .fill_null(0)
        .sum()
        .over("seller_id", "fiscal_year")
        .cast(pl.Float64)
    )


def _capacity_columns(policy: Policy) -> list[pl.Expr]:
    """Ramp, multipliers, adjusted capacity and the recommended quota derived from it."""
    first_month, month_count = pl.col("months_in_seat"), pl.col("months_touched")
    capacity_cents = adjusted_capacity_cents(
        policy,
        cents(_TARGETS),
        first_month,
        month_count,
        pl.col("seniority"),
        pl.col("strategic_focus"),
    )
    return [
        RampCurve.from_policy(policy).factor(first_month, month_count).alias("ramp_factor"),
        Multiplier.of(policy.seniority_multiplier)
        .factor(pl.col("seniority"))
        .alias("seniority_multiplier"),
        Multiplier.of(policy.focus_multiplier)
        .factor(focus_category(pl.col("strategic_focus")))
        .alias("focus_multiplier"),
        money_from_cents(capacity_cents).alias("adjusted_capacity"),
        money_from_cents(recommended_quota_cents(capacity_cents, policy.quota_rounding)).alias(
            "recommended_quota"
        ),
    ]


def _ratio_columns() -> list[pl.Expr]:
    """Gap and ratios; a ratio over a zero denominator is null, as the contract says."""
    quota = _QUOTA.cast(pl.Float64)
    ote = pl.col("ote_amount_corp")
    return [
        (_QUOTA - _TARGETS).cast(MONEY).alias("gap"),
        pl.when(_TARGETS > 0)
        .then(quota / _TARGETS.cast(pl.Float64))
        .alias("quota_to_targets_ratio"),
        pl.when(_CAPACITY > 0)
        .then(quota / _CAPACITY.cast(pl.Float64))
        .alias("quota_to_capacity_ratio"),
        pl.when(ote > 0)
        .then(pl.col("fiscal_year_quota") / ote.cast(pl.Float64))
        .alias("quota_to_ote"),
    ]
