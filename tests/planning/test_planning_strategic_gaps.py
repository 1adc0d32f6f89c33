"""compute_strategic_gaps: the top-down gap per subtree, sized in median seller books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from quota_pipeline.planning import compute_strategic_gaps

MONEY = pl.Decimal(18, 2)

TERRITORY_ROLLUP_SCHEMA = {
    "period": pl.String,
    "territory_id": pl.String,
    "parent_territory_id": pl.String,
    "depth": pl.Int64,
    "account_count": pl.Int64,
    "seller_count": pl.Int64,
    "bottom_up_targets": MONEY,
    "quota_sum": MONEY,
    "topdown_target": MONEY,
    "unassigned_targets": MONEY,
}

TERRITORY_DEFAULTS: dict[str, Any] = {
    "period": "FY2027-Q1",
    "parent_territory_id": None,
    "depth": 0,
    "account_count": 10,
    "seller_count": 2,
    "bottom_up_targets": Decimal("0.00"),
    "quota_sum": Decimal("0.00"),
    "topdown_target": None,
    "unassigned_targets": Decimal("0.00"),
}


def _territories(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([TERRITORY_DEFAULTS | row for row in rows], schema=TERRITORY_ROLLUP_SCHEMA)


def _closure(*pairs: tuple[str, str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        pairs,
        schema={
            "ancestor_territory_id": pl.String,
            "territory_id": pl.String,
            "levels_below": pl.Int64,
        },
        orient="row",
    )


def _book(seller_id: str, territory_id: str, targets: str, **row: Any) -> dict[str, Any]:
    return {
        "seller_id": seller_id,
        "territory_id": territory_id,
        "sum_account_targets": Decimal(targets),
        **row,
    }


def _by_territory(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["territory_id"]: row for row in frame.iter_rows(named=True)}


SINGLE = _closure(("T", "T", 0))


def test_output_columns_and_types_follow_the_contract(policy, seller_rollup) -> None:
    expected = {
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
    territories = _territories({"territory_id": "T", "topdown_target": Decimal("1.00")})
    sellers = seller_rollup(_book("s1", "T", "1.00"))
    assert dict(compute_strategic_gaps(territories, sellers, SINGLE, policy).schema) == expected
    empty = compute_strategic_gaps(territories.clear(), sellers.clear(), SINGLE.clear(), policy)
    assert dict(empty.schema) == expected
    assert empty.height == 0


def test_territories_without_a_topdown_target_are_left_out(policy, seller_rollup) -> None:
    territories = _territories(
        {"territory_id": "T", "topdown_target": Decimal("100.00")},
        {"territory_id": "T", "period": "FY2027-Q2", "topdown_target": None},
    )
    result = compute_strategic_gaps(territories, seller_rollup({}), SINGLE, policy)
    assert result["period"].to_list() == ["FY2027-Q1"]


def test_even_count_median_is_the_exact_mean_of_the_middle_two(policy, seller_rollup) -> None:
    # Median book: (100,000.01 + 300,000.00) / 2 = 200,000.005.
    # A gap of 400,000.01 is exactly 2 books; one cent more needs a third seller.
    sellers = pl.concat(
        seller_rollup(
            _book("s1", "T", "100000.01", period=p), _book("s2", "T", "300000.00", period=p)
        )
        for p in ("FY2027-Q1", "FY2027-Q2")
    )
    territories = _territories(
        {
            "territory_id": "T",
            "topdown_target": Decimal("900000.01"),
            "bottom_up_targets": Decimal("500000"),
        },
        {
            "territory_id": "T",
            "period": "FY2027-Q2",
            "topdown_target": Decimal("900000.02"),
            "bottom_up_targets": Decimal("500000"),
        },
    )
    result = compute_strategic_gaps(territories, sellers, SINGLE, policy)
    assert result["strategic_gap"].to_list() == [Decimal("400000.01"), Decimal("400000.02")]
    assert result["eligible_seller_count"].to_list() == [2, 2]
    assert result["median_seller_targets"].to_list() == [Decimal("200000.01"), Decimal("200000.01")]
    assert result["headcount_needed"].to_list() == [2, 3]
    assert result["levers"].to_list() == [
        ["headcount: 2 more sellers at a median of 200,000 USD each"],
        ["headcount: 3 more sellers at a median of 200,000 USD each"],
    ]


def test_subtree_median_counts_active_sellers_with_a_quota(policy, seller_rollup) -> None:
    closure = _closure(("R", "R", 0), ("R", "A", 1), ("R", "B", 1), ("A", "A", 0), ("B", "B", 0))
    sellers = seller_rollup(
        _book("a1", "A", "100000.00"),
        _book("a2", "A", "300000.00"),
        _book("b1", "B", "450000.00"),
        _book("on leave", "B", "900000.00", seller_status="on_leave"),
        _book("terminated", "B", "900000.00", seller_status="terminated"),
        _book("zero quota", "B", "900000.00", quota_amount_corp=Decimal("0.00")),
        _book("no quota", "B", "900000.00", quota_amount_corp=None),
        _book("other period", "B", "1.00", period="FY2027-Q2"),
    )
    territories = _territories(
        {
            "territory_id": "R",
            "topdown_target": Decimal("1500000"),
            "bottom_up_targets": Decimal("600000"),
        },
        {
            "territory_id": "B",
            "parent_territory_id": "R",
            "depth": 1,
            "topdown_target": Decimal("800000"),
            "bottom_up_targets": Decimal("500000"),
        },
    )
    rows = _by_territory(compute_strategic_gaps(territories, sellers, closure, policy))
    assert rows["R"]["eligible_seller_count"] == 3
    assert rows["R"]["median_seller_targets"] == Decimal("300000.00")
    assert rows["R"]["headcount_needed"] == 3
    assert rows["R"]["levers"] == ["headcount: 3 more sellers at a median of 300,000 USD each"]
    assert rows["B"]["eligible_seller_count"] == 1
    assert rows["B"]["headcount_needed"] == 1
    assert rows["B"]["levers"] == ["headcount: 1 more seller at a median of 450,000 USD"]
    assert (rows["B"]["depth"], rows["B"]["parent_territory_id"]) == (1, "R")


def test_no_eligible_seller_calls_for_corporate_investment(policy, seller_rollup) -> None:
    sellers = seller_rollup(_book("gone", "T", "200000.00", seller_status="terminated"))
    territories = _territories(
        {
            "territory_id": "T",
            "topdown_target": Decimal("700000"),
            "bottom_up_targets": Decimal("200000"),
        }
    )
    row = compute_strategic_gaps(territories, sellers, SINGLE, policy).row(0, named=True)
    assert row["strategic_gap"] == Decimal("500000.00")
    assert row["eligible_seller_count"] == 0
    assert row["median_seller_targets"] is None
    assert row["headcount_needed"] is None
    assert row["levers"] == [
        "corporate investment: 500,000 USD of top-down target with no active seller holding"
        " a quota to size headcount on"
    ]


def test_a_zero_median_book_gives_no_headcount(policy, seller_rollup) -> None:
    sellers = seller_rollup(_book("empty book", "T", "0.00"))
    territories = _territories({"territory_id": "T", "topdown_target": Decimal("1000")})
    row = compute_strategic_gaps(territories, sellers, SINGLE, policy).row(0, named=True)
    assert row["eligible_seller_count"] == 1
    assert row["median_seller_targets"] == Decimal("0.00")
    assert row["headcount_needed"] is None
    assert row["levers"] == [
        "corporate investment: 1,000 USD of top-down target with no active seller holding"
        " a quota to size headcount on"
    ]


def test_unassigned_targets_call_for_coverage(policy, seller_rollup) -> None:
    sellers = seller_rollup(_book("s1", "T", "450000.00"))
    territories = _territories(
        {
            "territory_id": "T",
            "topdown_target": Decimal("2000000"),
            "bottom_up_targets": Decimal("2500000"),
            "unassigned_targets": Decimal("1234567.49"),
        }
    )
    row = compute_strategic_gaps(territories, sellers, SINGLE, policy).row(0, named=True)
    assert row["strategic_gap"] == Decimal("-500000.00")
    assert row["headcount_needed"] == 0
    assert row["levers"] == [
        "coverage: 1,234,567 USD of account targets are counted in the bottom-up number"
        " but nobody sells them (no owner, or a terminated one): assign those accounts to"
        " active sellers"
    ]


def test_no_positive_gap_needs_no_lever(policy, seller_rollup) -> None:
    closure = _closure(("T", "T", 0), ("U", "U", 0))
    sellers = seller_rollup(_book("s1", "T", "450000.00"))
    territories = _territories(
        {
            "territory_id": "T",
            "topdown_target": Decimal("450000"),
            "bottom_up_targets": Decimal("450000"),
        },
        {
            "territory_id": "U",
            "topdown_target": Decimal("100000"),
            "bottom_up_targets": Decimal("300000"),
        },
    )
    rows = _by_territory(compute_strategic_gaps(territories, sellers, closure, policy))
    assert (rows["T"]["strategic_gap"], rows["T"]["headcount_needed"]) == (Decimal("0.00"), 0)
    assert (rows["U"]["strategic_gap"], rows["U"]["headcount_needed"]) == (
        Decimal("-200000.00"),
        None,
    )
    assert rows["T"]["levers"] == []
    assert rows["U"]["levers"] == []


def test_levers_come_in_a_fixed_order_and_never_raise_quotas(policy, seller_rollup) -> None:
    sellers = seller_rollup(_book("s1", "T", "450000.00"))
    territories = _territories(
        {
            "territory_id": "T",
            "topdown_target": Decimal("2000000"),
            "bottom_up_targets": Decimal("650000"),
            "unassigned_targets": Decimal("50000"),
        }
    )
    levers = compute_strategic_gaps(territories, sellers, SINGLE, policy)["levers"].item()
    assert levers.to_list() == [
        "coverage: 50,000 USD of account targets are counted in the bottom-up number"
        " but nobody sells them (no owner, or a terminated one): assign those accounts to"
        " active sellers",
        "headcount: 3 more sellers at a median of 450,000 USD each",
    ]
    assert not any("raise" in lever for lever in levers)
