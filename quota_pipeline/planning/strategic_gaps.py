"""risk.strategic_gaps: does the bottom-up account plan reach each top-down target?

For every territory and period with a top-down target, the gap to the rollup of account
targets in its subtree is sized in sellers: the median book (SAT) of the subtree's active
sellers with a quota. The levers follow docs/contract.md section 3: coverage for unassigned
targets, headcount, or corporate investment when no seller gives a yardstick; raising
existing quotas is never one of them. Plain Polars, so it runs without Dagster or DuckDB.
"""

from __future__ import annotations

import polars as pl

from quota_pipeline.planning.exact import (
    MONEY,
    cents,
    divide_ceiling,
    divide_half_up,
    money_from_cents,
)
from quota_pipeline.planning.reasons import territory_levers
from quota_pipeline.policy import Policy

STRATEGIC_GAPS_SCHEMA = pl.Schema(
    {
        "period": pl.String,
        "territory_id": pl.String,
        "topdown_target": MONEY,
        "bottom_up_targets": MONEY,
        "quota_sum": MONEY,
        "strategic_gap": MONEY,
        "unassigned_targets": MONEY,
        "headcount_needed": pl.Int64,
        "levers": pl.List(pl.String),
        "depth": pl.Int64,
        "parent_territory_id": pl.String,
        "eligible_seller_count": pl.Int64,
        "median_seller_targets": MONEY,
    }
)

ACTIVE = "active"
# The median of an even count is a mean of two cent amounts: exact in half cents.
HALF_CENTS_PER_CENT = 2


def compute_strategic_gaps(
    territory_rollup: pl.DataFrame,
    seller_rollup: pl.DataFrame,
    territory_closure: pl.DataFrame,
    policy: Policy,
) -> pl.DataFrame:
    """One row per territory and period with a top-down target, as STRATEGIC_GAPS_SCHEMA.

    Rows keep the order of territory_rollup.
    """
    return (
        territory_rollup.lazy()
        .filter(pl.col("topdown_target").is_not_null())
        .join(
            _subtree_seller_books(seller_rollup, territory_closure),
            left_on=["territory_id", "period"],
            right_on=["ancestor_territory_id", "period"],
            how="left",
            validate="m:1",
            maintain_order="left",
        )
        .with_columns(
            strategic_gap=(pl.col("topdown_target") - pl.col("bottom_up_targets")).cast(MONEY),
            eligible_seller_count=pl.col("eligible_seller_count").fill_null(0),
            median_seller_targets=money_from_cents(
                divide_half_up(pl.col("median_half_cents"), HALF_CENTS_PER_CENT)
            ),
        )
        .with_columns(headcount_needed=_headcount_needed())
        .with_columns(levers=territory_levers(policy))
        .select(pl.col(name).cast(dtype) for name, dtype in STRATEGIC_GAPS_SCHEMA.items())
        .collect()
    )


def _subtree_seller_books(
    seller_rollup: pl.DataFrame, territory_closure: pl.DataFrame
) -> pl.LazyFrame:
    """Per territory (whole subtree) and period: active sellers with a quota, median SAT.

    The median is kept in half cents, so the mean of the two middle books is exact.
    """
    eligible = seller_rollup.lazy().filter(
        (pl.col("seller_status") == ACTIVE) & (pl.col("quota_amount_corp") > 0)
    )
    return (
        eligible.select(
            "period",
            "territory_id",
            targets_cents=cents(pl.col("sum_account_targets")).cast(pl.Int64),
        )
        .join(territory_closure.lazy(), on="territory_id")
        .group_by("ancestor_territory_id", "period")
        .agg(
            eligible_seller_count=pl.len(),
            median_half_cents=(pl.col("targets_cents").median() * HALF_CENTS_PER_CENT)
            .round(0)
            .cast(pl.Int128),
        )
    )


def _headcount_needed() -> pl.Expr:
    """ceil(max(0, gap) / median SAT); null without eligible sellers or with a median of 0."""
    median_half_cents = pl.col("median_half_cents")
    gap_half_cents = cents(pl.col("strategic_gap")).clip(lower_bound=0) * HALF_CENTS_PER_CENT
    return pl.when(median_half_cents > 0).then(divide_ceiling(gap_half_cents, median_half_cents))
