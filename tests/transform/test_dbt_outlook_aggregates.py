"""The per-account aggregates of the outlook (docs/contract.md 3c) in seller_target_rollup.

top1_target, the squared tier spreads and accounts_to_break are account-level work, done
once in dbt; these pin them on tests/fixtures/small, worked out by hand from its CSVs
(EUR at 1.1; policy spreads A 0.30, B 0.45, C 0.60).
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

Q1, Q2 = "FY2027-Q1", "FY2027-Q2"
COLUMNS = "top1_target, top1_account_id, target_spread_squared, accounts_to_break"


def outlook_row(con: duckdb.DuckDBPyConnection, seller: str, period: str) -> dict:
    cursor = con.execute(
        f"select {COLUMNS} from marts.seller_target_rollup where seller_id = ? and period = ?",
        [seller, period],
    )
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def test_two_accounts_carry_the_quota(warehouse):
    # S1 Q2: A05 100,000.00 (A), A01 90,000 EUR = 99,000.00 (A), A02 1,000.00 (C); SAT
    # 200,000.00 against a quota of 45,454.55 EUR = 50,000.01. Losing A05 leaves
    # 100,000.00, losing A01 too leaves 1,000.00: two accounts to break.
    row = outlook_row(warehouse, "S1", Q2)
    assert row["top1_target"] == Decimal("100000.00")
    assert row["top1_account_id"] == "A05"
    spread = (0.30 * 100_000) ** 2 + (0.30 * 99_000) ** 2 + (0.60 * 1_000) ** 2
    assert abs(row["target_spread_squared"] - spread) <= 1e-9 * spread
    assert row["accounts_to_break"] == 2


def test_a_quota_above_the_targets_is_broken_already(warehouse):
    # S1 Q1: SAT 200,000.00 against 200,000 EUR = 220,000.00
    row = outlook_row(warehouse, "S1", Q1)
    assert row["top1_target"] == Decimal("110000.00")
    assert row["top1_account_id"] == "A01"
    assert row["accounts_to_break"] == 0


def test_a_seller_without_accounts_or_quota(warehouse):
    # S4 has a quota and no account; S3 has no quota in Q2
    assert outlook_row(warehouse, "S4", Q1) == {
        "top1_target": Decimal("0.00"),
        "top1_account_id": None,
        "target_spread_squared": 0.0,
        "accounts_to_break": 0,
    }
    assert outlook_row(warehouse, "S3", Q2)["accounts_to_break"] is None


def test_remaining_targets_step_down_by_rank(warehouse):
    rows = warehouse.execute(
        "select account_id, remaining_targets from marts.account_target_distribution "
        "where seller_id = 'S1' and period = ? order by rank_in_seller",
        [Q2],
    ).fetchall()
    assert rows == [
        ("A05", Decimal("200000.00")),
        ("A01", Decimal("100000.00")),
        ("A02", Decimal("1000.00")),
    ]
