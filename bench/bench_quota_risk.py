"""Time compute_quota_risk on a synthetic 100,000 sellers x 4 periods seller rollup.

The nightly run must stay well inside its window as the sales org grows, so this gives
the planning step's figure on its own.

Usage: .venv/bin/python bench/bench_quota_risk.py [sellers]   (default 100,000)
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from quota_pipeline.planning import compute_quota_risk
from quota_pipeline.policy import load_policy

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "planning_policy.yaml"

MONEY = pl.Decimal(18, 2)
QUARTERS = [
    ("FY2027-Q1", date(2027, 1, 1), date(2027, 3, 31)),
    ("FY2027-Q2", date(2027, 4, 1), date(2027, 6, 30)),
    ("FY2027-Q3", date(2027, 7, 1), date(2027, 9, 30)),
    ("FY2027-Q4", date(2027, 10, 1), date(2027, 12, 31)),
]


def synthetic_sellers(count: int, seed: int = 7) -> pl.DataFrame:
    """One row per seller, with a spread of hires, books, seniorities and focuses."""
    rng = np.random.default_rng(seed)
    targets_cents = rng.integers(0, 300_000_000, count)
    return pl.DataFrame(
        {
            "seller_id": [f"S{i:06d}" for i in range(count)],
            "territory_id": [f"T{i % 500:03d}" for i in range(count)],
            "account_count": rng.integers(0, 60, count),
            "accounts_missing_target": rng.integers(0, 3, count),
            "sum_account_targets_cents": targets_cents,
            "top1_share": np.where(targets_cents > 0, rng.uniform(0.05, 0.9, count), np.nan),
            "high_value_account_count": rng.integers(0, 8, count),
            "quota_cents": rng.integers(0, 350_000_000, count),
            "ote_cents": rng.integers(0, 30_000_000, count),
            "seller_status": rng.choice(["active", "on_leave", "terminated"], count),
            "seniority": rng.choice(["junior", "mid", "senior", "principal"], count),
            "strategic_focus": rng.choice(["new_logo", "expansion", "strategic", ""], count),
            "hire_offset_days": rng.integers(-3000, 400, count),
        }
    )


def synthetic_rollup(count: int) -> pl.DataFrame:
    """Every seller x every quarter, about 5% of rows without a quota."""
    periods = pl.DataFrame(
        QUARTERS, schema=["period", "period_start_date", "period_end_date"], orient="row"
    )
    cents = pl.Decimal(38, 0)
    return (
        synthetic_sellers(count)
        .join(periods, how="cross")
        .with_columns(
            fiscal_year=pl.lit(2027),
            strategic_focus=pl.col("strategic_focus").replace("", None),
            top1_share=pl.col("top1_share").fill_nan(None),
            hire_date=pl.lit(date(2027, 1, 1)) + pl.duration(days=pl.col("hire_offset_days")),
            sum_account_targets=(pl.col("sum_account_targets_cents").cast(cents) / 100).cast(MONEY),
            quota_amount_corp=pl.when(pl.col("quota_cents") % 20 != 0).then(
                (pl.col("quota_cents").cast(cents) / 100).cast(MONEY)
            ),
            ote_amount_corp=(pl.col("ote_cents").cast(cents) / 100).cast(MONEY),
            top3_share=pl.col("top1_share"),
            accounts_for_80pct=pl.lit(3),
            hhi=pl.lit(1000.0),
            high_value_targets=pl.lit(0).cast(MONEY),
        )
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    policy = load_policy(DEFAULT_POLICY)
    rollup = synthetic_rollup(count)
    compute_quota_risk(rollup.head(1000), policy)  # warm up
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = compute_quota_risk(rollup, policy)
        timings.append(time.perf_counter() - started)
    print(
        f"compute_quota_risk: {rollup.height:,} seller-periods in, {result.height:,} rows out;"
        f" best {min(timings):.2f}s, runs {', '.join(f'{t:.2f}s' for t in timings)}"
        f" (polars {pl.__version__})"
    )
    print(result["risk_level"].value_counts().sort("risk_level"))


if __name__ == "__main__":
    main()
