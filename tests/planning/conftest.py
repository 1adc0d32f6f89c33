"""Fixtures for the planning tests: the repository's policy and seller rollup frames.

Tests state only the columns that matter to them; every other column takes a default that
fires no rule (fully ramped mid seller, quota equal to capacity, quota 5x OTE).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from support import POLICY_FILE

from quota_pipeline.policy import Policy, load_policy

MONEY = pl.Decimal(18, 2)

SELLER_ROLLUP_SCHEMA = {
    "period": pl.String,
    "seller_id": pl.String,
    "territory_id": pl.String,
    "account_count": pl.Int64,
    "accounts_missing_target": pl.Int64,
    "sum_account_targets": MONEY,
    "top1_share": pl.Float64,
    "top3_share": pl.Float64,
    "accounts_for_80pct": pl.Int64,
    "hhi": pl.Float64,
    "high_value_account_count": pl.Int64,
    "high_value_targets": MONEY,
    "quota_amount_corp": MONEY,
    "ote_amount_corp": MONEY,
    "seller_status": pl.String,
    "seniority": pl.String,
    "strategic_focus": pl.String,
    "hire_date": pl.Date,
    "fiscal_year": pl.Int64,
    "period_start_date": pl.Date,
    "period_end_date": pl.Date,
}

SELLER_DEFAULTS: dict[str, Any] = {
    "period": "FY2027-Q1",
    "seller_id": "s1",
    "territory_id": "t1",
    "account_count": 10,
    "accounts_missing_target": 0,
    "sum_account_targets": Decimal("100000.00"),
    "top1_share": 0.20,
    "top3_share": 0.50,
    "accounts_for_80pct": 5,
    "hhi": 1200.0,
    "high_value_account_count": 3,
    "high_value_targets": Decimal("60000.00"),
    "quota_amount_corp": Decimal("100000.00"),
    "ote_amount_corp": Decimal("20000.00"),
    "seller_status": "active",
    "seniority": "mid",
    "strategic_focus": None,
    "hire_date": date(2020, 1, 1),
    "fiscal_year": 2027,
    "period_start_date": date(2027, 1, 1),
    "period_end_date": date(2027, 3, 31),
}


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(POLICY_FILE)


@pytest.fixture
def seller_rollup() -> Callable[..., pl.DataFrame]:
    """Build a seller rollup from rows that override the quiet defaults."""

    def build(*rows: dict[str, Any]) -> pl.DataFrame:
        return pl.DataFrame(
            [SELLER_DEFAULTS | row for row in rows], schema=SELLER_ROLLUP_SCHEMA, orient="row"
        )

    return build
