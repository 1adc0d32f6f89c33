"""The dbt marts on tests/fixtures/small, against numbers computed by hand.

The fixture, in the corporate currency USD (EUR at 1.1, rounded once to cents):

territories  GLOBAL (root) -> EMEA -> DACH, FRANCE;  GLOBAL -> AMER -> US_EAST
sellers      S1 DACH senior active (OTE 200000 EUR); S2 US_EAST junior active, hired
             2026-03-10 after the FY2027-Q1 start; S3 FRANCE terminated; S4 EMEA on_leave,
             no accounts
accounts     S1: A01 A02 A04 A05 A07 (DACH), A03 (FRANCE);  S2: A06 A08 (US_EAST);
             S3: A09 (FRANCE);  unassigned: A10 (AMER)

targets (USD)          FY2027-Q1                         FY2027-Q2
S1   A01  100000 EUR = 110000.00            90000 EUR = 99000.00
     A02  45454.55 EUR = 50000.005 -> 50000.01        1000.00
     A03  30000.00 (account in FRANCE)      -
     A04  null                              -
     A05  - (no row)                        100000.00 (exactly the high-value bound)
     A07  9999.99                           -
     SAT  200000.00                         200000.00
S2   A06  0.00                              20000.00 (tie with A08: A06 ranks first)
     A08  null                              20000.00
     SAT  0.00                              40000.00
S3   A09  20000 EUR = 22000.00              22000.00
A10       5000.00 (no owner)                -
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from small_warehouse import DBT_PROJECT_DIR, TEST_POLICY_VARS
from support import POLICY_FILE

Q1, Q2 = "FY2027-Q1", "FY2027-Q2"

CONTRACT_COLUMNS = {
    "account_target_distribution": (
        "period account_id seller_id territory_id target_amount_corp share_of_seller "
        "rank_in_seller cumulative_share abc_tier is_high_value"
    ),
    "seller_target_rollup": (
        "period seller_id territory_id account_count accounts_missing_target "
        "sum_account_targets top1_share top3_share accounts_for_80pct hhi "
        "high_value_account_count high_value_targets"
    ),
    "territory_rollup": (
        "period territory_id parent_territory_id depth account_count seller_count "
        "bottom_up_targets quota_sum topdown_target unassigned_targets"
    ),
}
MONEY_COLUMNS = {
    "target_amount_corp",
    "sum_account_targets",
    "high_value_targets",
    "bottom_up_targets",
    "quota_sum",
    "topdown_target",
    "unassigned_targets",
    "quota_amount_corp",
    "ote_amount_corp",
}
RATIO_COLUMNS = {"share_of_seller", "cumulative_share", "top1_share", "top3_share", "hhi"}


def query(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> dict[str, Any]:
    rows = query(con, sql, *params)
    assert len(rows) == 1, rows
    return rows[0]


def d(value: str) -> Decimal:
    return Decimal(value)


# ---------------------------------------------------------------- shape and types


@pytest.mark.parametrize("mart", sorted(CONTRACT_COLUMNS))
def test_mart_has_the_contract_columns_with_contract_types(warehouse, mart):
    types = {
        row["column_name"]: row["data_type"]
        for row in query(
            warehouse,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = ?",
            mart,
        )
    }
    for column in CONTRACT_COLUMNS[mart].split():
        assert column in types, f"marts.{mart} lacks {column}"
    for column, data_type in types.items():
        if column in MONEY_COLUMNS:
            assert data_type == "DECIMAL(18,2)", (column, data_type)
        if column in RATIO_COLUMNS:
            assert data_type == "DOUBLE", (column, data_type)


def test_seller_rollup_has_the_columns_the_risk_step_reads(warehouse):
    row = one(
        warehouse,
        "select quota_amount_corp, ote_amount_corp, seller_status, seniority, "
        "strategic_focus, hire_date, fiscal_year, period_start_date, period_end_date "
        "from marts.seller_target_rollup where seller_id = 'S2' and period = ?",
        Q1,
    )
    assert row == {
        "quota_amount_corp": d("30000.00"),
        "ote_amount_corp": d("120000.00"),
        "seller_status": "active",
        "seniority": "junior",
        "strategic_focus": "new_logo",
        "hire_date": date(2026, 3, 10),
        "fiscal_year": 2027,
        "period_start_date": date(2026, 2, 1),
        "period_end_date": date(2026, 4, 30),
    }


def test_staging_drops_quarantined_rows(warehouse):
    assert one(warehouse, "select count(*) as n from raw.account_targets")["n"] == 16
    assert one(warehouse, "select count(*) as n from staging.stg_account_targets")["n"] == 15
    sellers = query(warehouse, "select seller_id from staging.stg_sellers order by 1")
    assert [row["seller_id"] for row in sellers] == ["S1", "S2", "S3", "S4"]


def test_corporate_currency_is_added_at_rate_one(warehouse):
    rates = query(warehouse, "select * from intermediate.int_fx_rates order by currency_iso")
    assert rates == [
        {"currency_iso": "EUR", "rate_to_corporate": d("1.1")},
        {"currency_iso": "USD", "rate_to_corporate": d("1")},
    ]


def test_territory_closure_pairs_every_territory_with_itself_and_its_ancestors(warehouse):
    pairs = {
        (row["ancestor_territory_id"], row["territory_id"], row["levels_below"])
        for row in query(warehouse, "select * from intermediate.int_territory_closure")
    }
    assert pairs == {
        ("GLOBAL", "GLOBAL", 0),
        ("EMEA", "EMEA", 0),
        ("AMER", "AMER", 0),
        ("DACH", "DACH", 0),
        ("FRANCE", "FRANCE", 0),
        ("US_EAST", "US_EAST", 0),
        ("GLOBAL", "EMEA", 1),
        ("GLOBAL", "AMER", 1),
        ("EMEA", "DACH", 1),
        ("EMEA", "FRANCE", 1),
        ("AMER", "US_EAST", 1),
        ("GLOBAL", "DACH", 2),
        ("GLOBAL", "FRANCE", 2),
        ("GLOBAL", "US_EAST", 2),
    }


# ---------------------------------------------------------------- account_target_distribution


def distribution(con, seller_id: str, period: str) -> list[dict[str, Any]]:
    return query(
        con,
        "select account_id, territory_id, target_amount_corp, share_of_seller, rank_in_seller, "
        "cumulative_share, abc_tier, is_high_value from marts.account_target_distribution "
        "where seller_id = ? and period = ? order by rank_in_seller",
        seller_id,
        period,
    )


def test_distribution_ranks_converts_and_tiers_one_seller(warehouse):
    rows = distribution(warehouse, "S1", Q1)
    assert [
        (row["account_id"], row["rank_in_seller"], row["target_amount_corp"], row["abc_tier"])
        for row in rows
    ] == [
        ("A01", 1, d("110000.00"), "A"),  # share before 0
        ("A02", 2, d("50000.01"), "A"),  # before 0.55; 45454.55 EUR * 1.1 = 50000.005 -> .01
        ("A03", 3, d("30000.00"), "B"),  # before 0.80000005: not below 0.80
        ("A07", 4, d("9999.99"), "C"),  # before 0.95000005: not below 0.95
        ("A04", 5, None, "C"),  # null target: last, tier C
    ]
    shares = [row["share_of_seller"] for row in rows]
    cumulative = [row["cumulative_share"] for row in rows]
    assert shares[:4] == pytest.approx([0.55, 0.25000005, 0.15, 0.04999995])
    assert cumulative[:4] == pytest.approx([0.55, 0.80000005, 0.95000005, 1.0])
    assert shares[4] is None
    assert cumulative[4] is None
    # an account's territory is its own, not its seller's home (DACH)
    assert rows[2]["territory_id"] == "FRANCE"
    assert [row["is_high_value"] for row in rows] == [True, False, False, False, False]


def test_distribution_high_value_bound_is_inclusive(warehouse):
    rows = distribution(warehouse, "S1", Q2)
    assert [(row["account_id"], row["is_high_value"], row["abc_tier"]) for row in rows] == [
        ("A05", True, "A"),  # 100000.00 >= 100000
        ("A01", False, "A"),  # 90000 EUR = 99000.00
        ("A02", False, "C"),  # before 0.995
    ]


def test_distribution_with_zero_sat_has_null_shares_and_tier_c(warehouse):
    rows = distribution(warehouse, "S2", Q1)
    assert [(row["account_id"], row["target_amount_corp"]) for row in rows] == [
        ("A06", d("0.00")),
        ("A08", None),
    ]
    for row in rows:
        assert row["share_of_seller"] is None
        assert row["cumulative_share"] is None
        assert row["abc_tier"] == "C"


def test_distribution_breaks_ties_by_account_id(warehouse):
    rows = distribution(warehouse, "S2", Q2)
    assert [(row["account_id"], row["rank_in_seller"], row["abc_tier"]) for row in rows] == [
        ("A06", 1, "A"),
        ("A08", 2, "A"),
    ]


def test_distribution_has_owned_accounts_with_a_target_row_only(warehouse):
    rows = query(warehouse, "select account_id, period from marts.account_target_distribution")
    keys = {(row["account_id"], row["period"]) for row in rows}
    assert ("A10", Q1) not in keys  # unassigned
    assert ("A05", Q1) not in keys  # no target row
    assert ("A09", Q1) in keys  # terminated owner still owns it
    assert len(keys) == 14


# ---------------------------------------------------------------- seller_target_rollup


def seller(con, seller_id: str, period: str) -> dict[str, Any]:
    return one(
        con,
        "select * from marts.seller_target_rollup where seller_id = ? and period = ?",
        seller_id,
        period,
    )


def test_seller_rollup_is_every_seller_times_every_period(warehouse):
    keys = query(warehouse, "select seller_id, period from marts.seller_target_rollup")
    assert len(keys) == 8
    assert {(row["seller_id"], row["period"]) for row in keys} == {
        (s, p) for s in ("S1", "S2", "S3", "S4") for p in (Q1, Q2)
    }


def test_seller_rollup_with_eur_conversion_and_missing_targets(warehouse):
    row = seller(warehouse, "S1", Q1)
    assert row["territory_id"] == "DACH"
    assert row["account_count"] == 6
    assert row["accounts_missing_target"] == 2  # A04 null, A05 no row
    assert row["sum_account_targets"] == d("200000.00")
    assert row["top1_share"] == pytest.approx(0.55)
    assert row["top3_share"] == pytest.approx(0.95000005)
    assert row["accounts_for_80pct"] == 2
    # 10000 * (110000^2 + 50000.01^2 + 30000^2 + 9999.99^2) / 200000^2
    assert row["hhi"] == pytest.approx(3900.00020000005)
    assert row["high_value_account_count"] == 1
    assert row["high_value_targets"] == d("110000.00")
    assert row["quota_amount_corp"] == d("220000.00")  # 200000 EUR
    assert row["ote_amount_corp"] == d("220000.00")  # 200000 EUR


def test_seller_rollup_second_period(warehouse):
    row = seller(warehouse, "S1", Q2)
    assert row["accounts_missing_target"] == 3  # A03, A04, A07 have no row
    assert row["sum_account_targets"] == d("200000.00")
    assert row["top1_share"] == pytest.approx(0.5)
    assert row["top3_share"] == pytest.approx(1.0)
    assert row["hhi"] == pytest.approx(2500 + 2450.25 + 0.25)
    assert row["accounts_for_80pct"] == 2
    assert row["high_value_account_count"] == 1
    assert row["high_value_targets"] == d("100000.00")
    assert row["quota_amount_corp"] == d("50000.01")  # 45454.55 EUR * 1.1 = 50000.005


def test_seller_rollup_with_zero_sat(warehouse):
    row = seller(warehouse, "S2", Q1)
    assert row["account_count"] == 2
    assert row["accounts_missing_target"] == 1  # A08 null; A06's 0 is a target
    assert row["sum_account_targets"] == d("0.00")
    assert row["top1_share"] is None
    assert row["top3_share"] is None
    assert row["hhi"] is None
    assert row["accounts_for_80pct"] == 0
    assert row["high_value_account_count"] == 0
    assert row["high_value_targets"] == d("0.00")


def test_seller_rollup_keeps_terminated_and_accountless_sellers(warehouse):
    terminated = seller(warehouse, "S3", Q2)
    assert terminated["seller_status"] == "terminated"
    assert terminated["sum_account_targets"] == d("22000.00")
    assert terminated["hhi"] == pytest.approx(10000.0)
    assert terminated["quota_amount_corp"] is None  # no quota row in Q2
    assert terminated["strategic_focus"] is None
    assert terminated["ote_amount_corp"] == d("165000.00")

    accountless = seller(warehouse, "S4", Q2)
    assert accountless["account_count"] == 0
    assert accountless["accounts_missing_target"] == 0
    assert accountless["sum_account_targets"] == d("0.00")
    assert accountless["top1_share"] is None
    assert accountless["accounts_for_80pct"] == 0
    assert accountless["high_value_targets"] == d("0.00")


# ---------------------------------------------------------------- territory_rollup

TERRITORY_COLUMNS = (
    "parent_territory_id",
    "depth",
    "account_count",
    "seller_count",
    "bottom_up_targets",
    "quota_sum",
    "topdown_target",
    "unassigned_targets",
)

# (period, territory): parent, depth, accounts, sellers, bottom-up, quotas, top-down, unassigned
EXPECTED_TERRITORIES = {
    (Q1, "GLOBAL"): (None, 0, 10, 3, "227000.00", "370000.00", "500000.00", "27000.00"),
    (Q1, "EMEA"): ("GLOBAL", 1, 7, 2, "222000.00", "340000.00", "330000.00", "22000.00"),
    (Q1, "AMER"): ("GLOBAL", 1, 3, 1, "5000.00", "30000.00", None, "5000.00"),
    (Q1, "DACH"): ("EMEA", 2, 5, 1, "170000.00", "220000.00", None, "0.00"),
    (Q1, "FRANCE"): ("EMEA", 2, 2, 0, "52000.00", "110000.00", None, "22000.00"),
    (Q1, "US_EAST"): ("AMER", 2, 2, 1, "0.00", "30000.00", None, "0.00"),
    (Q2, "GLOBAL"): (None, 0, 10, 3, "262000.00", "110000.01", "450000.00", "22000.00"),
    (Q2, "EMEA"): ("GLOBAL", 1, 7, 2, "222000.00", "50000.01", None, "22000.00"),
    (Q2, "AMER"): ("GLOBAL", 1, 3, 1, "40000.00", "60000.00", None, "0.00"),
    (Q2, "DACH"): ("EMEA", 2, 5, 1, "200000.00", "50000.01", None, "0.00"),
    (Q2, "FRANCE"): ("EMEA", 2, 2, 0, "22000.00", "0.00", None, "22000.00"),
    (Q2, "US_EAST"): ("AMER", 2, 2, 1, "40000.00", "60000.00", None, "0.00"),
}


def test_territory_rollup_every_cell(warehouse):
    rows = query(warehouse, "select * from marts.territory_rollup")
    actual = {(row["period"], row["territory_id"]): row for row in rows}
    assert set(actual) == set(EXPECTED_TERRITORIES)
    for key, values in EXPECTED_TERRITORIES.items():
        expected = dict(zip(TERRITORY_COLUMNS, values, strict=True))
        for money in ("bottom_up_targets", "quota_sum", "topdown_target", "unassigned_targets"):
            expected[money] = None if expected[money] is None else d(expected[money])
        assert {column: actual[key][column] for column in TERRITORY_COLUMNS} == expected, key


def test_territory_rollup_reconciles_with_the_sellers(warehouse):
    """At the root: bottom-up = every target; quota_sum = every seller's quota."""
    for period in (Q1, Q2):
        root = one(
            warehouse,
            "select bottom_up_targets, quota_sum from marts.territory_rollup "
            "where territory_id = 'GLOBAL' and period = ?",
            period,
        )
        sellers = one(
            warehouse,
            "select sum(sum_account_targets) as sat, sum(quota_amount_corp) as quotas "
            "from marts.seller_target_rollup where period = ?",
            period,
        )
        unassigned = one(
            warehouse,
            "select coalesce(sum(target_amount_corp), 0) as targets "
            "from intermediate.int_account_targets where owner_seller_id is null and period = ?",
            period,
        )
        assert root["bottom_up_targets"] == sellers["sat"] + unassigned["targets"]
        assert root["quota_sum"] == sellers["quotas"]


# ---------------------------------------------------------------- policy vars


def test_dbt_reads_exactly_the_policy_vars_and_holds_no_default():
    from quota_pipeline.policy import load_policy

    used = set()
    for folder in ("models", "macros", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*.sql"):
            used |= set(re.findall(r"var\(\s*['\"](\w+)['\"]\s*\)", path.read_text()))
    policy_vars = load_policy(POLICY_FILE).dbt_vars()
    assert used == set(policy_vars) == set(TEST_POLICY_VARS)
    project = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert not re.search(r"^vars:", project, flags=re.MULTILINE)
    # The one var with a default is not a threshold: the PostgreSQL build-schema suffix,
    # empty unless a run builds into <schema>__next (dbt parse and docs never set it).
    for folder in ("models", "macros", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*.sql"):
            defaulted = set(re.findall(r"var\(\s*['\"](\w+)['\"]\s*,", path.read_text()))
            assert defaulted <= {"quota_schema_suffix"}, path
