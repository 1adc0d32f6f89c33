"""Account target allocation (docs/contract.md section 3b) on tests/fixtures/allocation,
against numbers worked out by hand. Corporate currency USD; EUR at 1.1.

territories  ROOT -> EU -> DE, FR;  ROOT -> US -> USE;  ROOT -> APAC;  ISL (a second root)
accounts     DE: D1 D2 D3   FR: F1 F2 F3   USE: U1   US: U2 U3 U4 U5   APAC: K1 K2
             ISL: I1 I2 (no target node above them ever)
revenue      D1 10, D2 1.5, U1 1, U2 2, U3 3, U5 0; the others null
industry     software: D1 F1 U1 U2;  retail: D2 U3;  mining: U5 K2;  the others null

FY2027-Q1  top-down ROOT 1000, EU 600, DE 100.01 (three nested target nodes)
  DE    pool 100.01; D1 27.27 EUR = 30.00 preserved; D2 (null row) and D3 (no row)
        eligible: remainder 70.01. even: 7001 cents / 2 = 3500 r 1, the odd cent to D2
        (key order): D2 35.01, D3 35.00.
  EU    pool 600 - 100.01 = 499.99; F1 0 (an input), F2 override 200 (no bottom-up):
        preserved 200.00, F3 eligible gets 299.99. As if no override (calculated):
        F2 and F3 eligible, 49999 / 2: F2 250.00, F3 249.99.
  ROOT  pool 1000 - 600 = 400 (US and APAC have no node: their accounts are ROOT's);
        U1 500, U2 override 50 over a bottom-up 80: preserved 550, remainder -150:
        over_committed 150, U3 U4 U5 K1 K2 get 0.00 (nothing spread, method null).
  ISL   I1 10 bottom_up, I2 null target: none; no allocation node.
FY2027-Q2  top-down DE 50, FR 0, US 7.02
  DE    D1 10, D2 5, D3 5 all inputs: remainder 30, nobody eligible: unallocated 30.
  FR    pool 0, F1 0: remainder 0, F2 F3 get 0.00, nothing spread.
  US    U2 7, U4 0, U5 0 preserved 7.00; U1 U3 eligible, remainder 2 cents.
FY2027-Q3  top-down US 100.01, APAC 0.03; no bottom-up rows
  US    U1..U5 eligible, 10001 cents.    APAC  K1 K2 eligible, 3 cents.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from allocation_warehouse import (
    ALLOCATION_EXTRACTS,
    SECTION_3_SELECTION,
    allocation_vars,
    build_allocation_warehouse,
)
from support import POLICY_FILE, REPO

Q1, Q2, Q3 = "FY2027-Q1", "FY2027-Q2", "FY2027-Q3"
BUCKETS = {"bucket_column": "industry", "bucket_weights": {"software": 3, "retail": 1}}

ACCOUNT_COLUMNS = [
    *("period", "account_id", "territory_id", "allocation_territory_id", "bottom_up_target"),
    *("override_target", "override_reason", "overridden_by", "calculated_target"),
    *("final_target", "target_source", "allocation_method"),
]
NODE_COLUMNS = [
    *("period", "territory_id", "topdown_target", "child_topdown_targets", "pool"),
    *("preserved_targets", "eligible_account_count", "allocated_targets", "unallocated"),
    *("over_committed", "method_used"),
]


def d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def rows(database: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(sql, list(params))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def finals(database: Path, period: str) -> dict[str, tuple[Decimal | None, str, str | None]]:
    """account_id -> (final_target, target_source, allocation_method) in the period."""
    found = rows(
        database,
        "select account_id, final_target, target_source, allocation_method "
        "from marts.account_target_allocation where period = ?",
        period,
    )
    return {
        r["account_id"]: (r["final_target"], r["target_source"], r["allocation_method"])
        for r in found
    }


def node(database: Path, territory_id: str, period: str) -> dict[str, Any]:
    (found,) = rows(
        database,
        "select * from marts.territory_allocation where territory_id = ? and period = ?",
        territory_id,
        period,
    )
    return found


@pytest.fixture(scope="module")
def even(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database, _ = build_allocation_warehouse(
        tmp_path_factory.mktemp("alloc_even"), allocation_vars(**BUCKETS)
    )
    return database


@pytest.fixture(scope="module")
def weighted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database, _ = build_allocation_warehouse(
        tmp_path_factory.mktemp("alloc_weighted"),
        allocation_vars(allocation_method="weighted", **BUCKETS),
    )
    return database


@pytest.fixture(scope="module")
def bucketed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database, _ = build_allocation_warehouse(
        tmp_path_factory.mktemp("alloc_bucketed"),
        allocation_vars(allocation_method="bucketed", **BUCKETS),
    )
    return database


@pytest.fixture(scope="module")
def allocated_basis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database, _ = build_allocation_warehouse(
        tmp_path_factory.mktemp("alloc_basis"),
        allocation_vars(targets_basis="allocated", **BUCKETS),
        SECTION_3_SELECTION,
    )
    return database


@pytest.fixture(scope="module")
def bottom_up_basis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database, _ = build_allocation_warehouse(
        tmp_path_factory.mktemp("alloc_bottom_up"), allocation_vars(**BUCKETS), SECTION_3_SELECTION
    )
    return database


# ---------------------------------------------------------------- the marts' shape


def test_marts_have_exactly_the_contract_columns_and_types(even):
    for table, expected in (
        ("account_target_allocation", ACCOUNT_COLUMNS),
        ("territory_allocation", NODE_COLUMNS),
    ):
        columns = rows(
            even,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            table,
        )
        assert [c["column_name"] for c in columns] == expected
        money = {
            c["column_name"]: c["data_type"]
            for c in columns
            if c["column_name"].endswith(("_target", "_targets", "pool"))
            or c["column_name"] in ("unallocated", "over_committed")
        }
        assert set(money.values()) == {"DECIMAL(18,2)"}, money


def test_rows_are_account_periods_with_a_target_row_an_override_or_a_node(even):
    keys = {
        (r["period"], r["account_id"])
        for r in rows(even, "select period, account_id from marts.account_target_allocation")
    }
    q1 = {"D1", "D2", "D3", "F1", "F2", "F3", "U1", "U2", "U3", "U4", "U5", "K1", "K2"}
    q1 |= {"I1", "I2"}  # no node: their account_targets rows
    q2 = {"D1", "D2", "D3", "F1", "F2", "F3", "U1", "U2", "U3", "U4", "U5"}
    q3 = {"U1", "U2", "U3", "U4", "U5", "K1", "K2"}
    assert keys == {(Q1, a) for a in q1} | {(Q2, a) for a in q2} | {(Q3, a) for a in q3}


# ---------------------------------------------------------------- nested nodes, even


def test_nested_nodes_pool_is_own_target_minus_nearest_child_nodes(even):
    root, eu, de = node(even, "ROOT", Q1), node(even, "EU", Q1), node(even, "DE", Q1)
    assert (root["topdown_target"], root["child_topdown_targets"], root["pool"]) == (
        d("1000.00"), d("600.00"), d("400.00"),
    )  # fmt: skip
    assert (eu["child_topdown_targets"], eu["pool"]) == (d("100.01"), d("499.99"))
    assert (de["child_topdown_targets"], de["pool"]) == (d("0.00"), d("100.01"))
    allocation_nodes = {
        r["account_id"]: r["allocation_territory_id"]
        for r in rows(
            even,
            "select account_id, allocation_territory_id from marts.account_target_allocation "
            "where period = ?",
            Q1,
        )
    }
    assert allocation_nodes == {
        "D1": "DE", "D2": "DE", "D3": "DE", "F1": "EU", "F2": "EU", "F3": "EU",
        "U1": "ROOT", "U2": "ROOT", "U3": "ROOT", "U4": "ROOT", "U5": "ROOT",
        "K1": "ROOT", "K2": "ROOT", "I1": None, "I2": None,
    }  # fmt: skip


def test_a_cent_that_does_not_split_evenly_goes_to_the_lowest_key(even):
    de = node(even, "DE", Q1)
    assert de["preserved_targets"] == d("30.00")  # 27.27 EUR at 1.1, converted first
    assert (de["eligible_account_count"], de["allocated_targets"]) == (2, d("70.01"))
    assert de["method_used"] == "even"
    q1 = finals(even, Q1)
    assert q1["D1"] == (d("30.00"), "bottom_up", None)
    assert q1["D2"] == (d("35.01"), "allocated", "even")
    assert q1["D3"] == (d("35.00"), "allocated", "even")


def test_override_on_an_eligible_account_is_an_input_and_the_rest_is_spread(even):
    eu = node(even, "EU", Q1)
    assert (eu["preserved_targets"], eu["eligible_account_count"]) == (d("200.00"), 1)
    assert eu["allocated_targets"] == d("299.99")
    (f2,) = rows(
        even,
        "select * from marts.account_target_allocation where account_id = 'F2' and period = ?",
        Q1,
    )
    assert f2["override_target"] == f2["final_target"] == d("200.00")
    assert (f2["override_reason"], f2["overridden_by"]) == (
        "signed framework contract",
        "planner.a",
    )
    assert f2["bottom_up_target"] is None
    assert f2["calculated_target"] == d("250.00")  # 49999 cents over F2, F3 without override
    assert (f2["target_source"], f2["allocation_method"]) == ("override", None)
    calculated = {
        r["account_id"]: (r["calculated_target"], r["final_target"])
        for r in rows(
            even,
            "select account_id, calculated_target, final_target "
            "from marts.account_target_allocation where period = ? and account_id like 'F%'",
            Q1,
        )
    }
    assert calculated == {
        "F1": (d("0.00"), d("0.00")),  # 0 is an input, kept
        "F2": (d("250.00"), d("200.00")),
        "F3": (d("249.99"), d("299.99")),
    }


def test_override_on_a_bottom_up_account_and_remainder_below_zero(even):
    root = node(even, "ROOT", Q1)
    assert root["preserved_targets"] == d("550.00")  # U1 500 + U2's override 50
    assert (root["allocated_targets"], root["unallocated"]) == (d("0.00"), d("0.00"))
    assert root["over_committed"] == d("150.00")
    assert (root["eligible_account_count"], root["method_used"]) == (5, None)
    q1 = finals(even, Q1)
    assert q1["U2"] == (d("50.00"), "override", None)
    for account in ("U3", "U4", "U5", "K1", "K2"):
        assert q1[account] == (d("0.00"), "allocated", None)
    (u2,) = rows(
        even,
        "select bottom_up_target, calculated_target, override_reason, overridden_by "
        "from marts.account_target_allocation where account_id = 'U2' and period = ?",
        Q1,
    )
    assert (u2["bottom_up_target"], u2["calculated_target"]) == (d("80.00"), d("80.00"))
    assert (u2["override_reason"], u2["overridden_by"]) == ("churn risk", None)


def test_accounts_without_a_node_keep_their_input_or_have_none(even):
    q1 = finals(even, Q1)
    assert q1["I1"] == (d("10.00"), "bottom_up", None)
    assert q1["I2"] == (None, "none", None)


def test_remainder_with_no_eligible_account_is_unallocated(even):
    de = node(even, "DE", Q2)
    assert (de["pool"], de["preserved_targets"], de["eligible_account_count"]) == (
        d("50.00"), d("20.00"), 0,
    )  # fmt: skip
    assert (de["allocated_targets"], de["unallocated"], de["over_committed"]) == (
        d("0.00"), d("30.00"), d("0.00"),
    )  # fmt: skip
    assert de["method_used"] is None


def test_zero_pool_allocates_zero_and_spreads_nothing(even):
    fr = node(even, "FR", Q2)
    assert (fr["topdown_target"], fr["pool"], fr["eligible_account_count"]) == (
        d("0.00"), d("0.00"), 2,
    )  # fmt: skip
    assert (fr["allocated_targets"], fr["over_committed"], fr["method_used"]) == (
        d("0.00"), d("0.00"), None,
    )  # fmt: skip
    q2 = finals(even, Q2)
    assert q2["F2"] == q2["F3"] == (d("0.00"), "allocated", None)


def test_even_in_the_other_periods(even):
    q2, q3 = finals(even, Q2), finals(even, Q3)
    assert (q2["U1"][0], q2["U3"][0]) == (d("0.01"), d("0.01"))
    # 10001 cents over five: 2000 each, the odd cent to U1
    assert [q3[a][0] for a in ("U1", "U2", "U3", "U4", "U5")] == [
        d("20.01"), d("20.00"), d("20.00"), d("20.00"), d("20.00"),
    ]  # fmt: skip
    assert (q3["K1"][0], q3["K2"][0]) == (d("0.02"), d("0.01"))


# ---------------------------------------------------------------- weighted


def test_weighted_by_revenue_with_largest_remainder(weighted):
    q3 = finals(weighted, Q3)
    # W = 6e6 (scaled revenue 1, 2, 3, 0, 0); 10001 cents: 1666.83, 3333.67, 5000.5:
    # bases 1666 + 3333 + 5000 = 9999, the 2 cents left to the largest remainders U1, U2
    assert [q3[a] for a in ("U1", "U2", "U3", "U4", "U5")] == [
        (d("16.67"), "allocated", "weighted"),
        (d("33.34"), "allocated", "weighted"),
        (d("50.00"), "allocated", "weighted"),
        (d("0.00"), "allocated", "weighted"),  # null revenue counts as 0
        (d("0.00"), "allocated", "weighted"),
    ]
    assert node(weighted, "US", Q3)["method_used"] == "weighted"


def test_weighted_ties_go_to_the_lower_key(weighted):
    q2 = finals(weighted, Q2)
    # 2 cents, U1 weight 1, U3 weight 3: 0.5 and 1.5, equal remainders: U1 first
    assert (q2["U1"][0], q2["U3"][0]) == (d("0.01"), d("0.01"))


def test_weights_summing_to_zero_fall_back_to_even(weighted):
    q3 = finals(weighted, Q3)
    assert q3["K1"] == (d("0.02"), "allocated", "even")
    assert q3["K2"] == (d("0.01"), "allocated", "even")
    assert node(weighted, "APAC", Q3)["method_used"] == "even"
    de = finals(weighted, Q1)  # D2 revenue 1.5, D3 null: all of it to D2
    assert (de["D2"][0], de["D3"][0]) == (d("70.01"), d("0.00"))


# ---------------------------------------------------------------- bucketed


def test_bucketed_first_over_buckets_then_evenly_within(bucketed):
    q3 = finals(bucketed, Q3)
    # buckets software 3 (U1 U2), retail 1 (U3), none 0 (U4: null), mining 0 (U5:
    # unlisted): 10001 cents -> 7500.75 and 2500.25: the cent to software, 7501 cents;
    # 7501 over U1, U2: 3751 and 3750 (the odd cent to U1)
    assert [q3[a] for a in ("U1", "U2", "U3", "U4", "U5")] == [
        (d("37.51"), "allocated", "bucketed"),
        (d("37.50"), "allocated", "bucketed"),
        (d("25.00"), "allocated", "bucketed"),
        (d("0.00"), "allocated", "bucketed"),
        (d("0.00"), "allocated", "bucketed"),
    ]


def test_bucket_ties_go_to_the_lower_bucket_value(bucketed):
    q2 = finals(bucketed, Q2)
    # 2 cents: software 6/4 = 1.5, retail 2/4 = 0.5, equal remainders: retail first
    assert (q2["U1"][0], q2["U3"][0]) == (d("0.01"), d("0.01"))


def test_null_and_unlisted_buckets_weighing_zero_fall_back_to_even(bucketed):
    q3 = finals(bucketed, Q3)
    assert q3["K1"] == (d("0.02"), "allocated", "even")  # bucket none
    assert q3["K2"] == (d("0.01"), "allocated", "even")  # bucket mining, unlisted
    q1 = finals(bucketed, Q1)
    assert (q1["D2"][0], q1["D3"][0]) == (d("70.01"), d("0.00"))  # retail 1, none 0


# ---------------------------------------------------------------- the blocking identities


@pytest.mark.parametrize("case", ["even", "weighted", "bucketed"])
def test_every_node_reconciles_to_its_pool_and_its_cents(case, request):
    database = request.getfixturevalue(case)
    bad = rows(
        database,
        """
        select n.period, n.territory_id
        from marts.territory_allocation n
        left join (
            select allocation_territory_id, period, sum(final_target) as cents
            from marts.account_target_allocation where target_source = 'allocated'
            group by all
        ) a on a.allocation_territory_id = n.territory_id and a.period = n.period
        where n.preserved_targets + n.allocated_targets + n.unallocated - n.over_committed
              <> n.pool
           or n.allocated_targets <> coalesce(a.cents, 0)
        """,
    )
    assert bad == []


# ---------------------------------------------------------------- the benchmark's floor


@pytest.mark.parametrize("case", ["even", "weighted", "bucketed"])
def test_the_benchmark_floor_allocates_as_the_models_do(case, request, tmp_path):
    """bench/floor.sql repeats the allocation in one DuckDB script, so that the benchmark's
    ratio pipeline / floor compares the same work: same extracts and policy, same rows."""
    database = request.getfixturevalue(case)
    policy = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    policy["allocation"].update(
        method=case,
        bucket_column=BUCKETS["bucket_column"],
        bucket_weights=BUCKETS["bucket_weights"],
    )
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy), encoding="utf-8")
    floor_database = tmp_path / "floor.duckdb"
    command = [sys.executable, str(REPO / "bench" / "floor_runner.py"), str(ALLOCATION_EXTRACTS)]
    command += [str(floor_database), "--policy", str(policy_file)]
    floor = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
    )
    assert floor.returncode == 0, floor.stderr
    for table in ("marts.account_target_allocation", "marts.territory_allocation"):
        query = f"select * from {table} order by all"
        assert rows(floor_database, query) == rows(database, query), table


# ---------------------------------------------------------------- targets_basis


def test_bottom_up_basis_reads_the_extract(bottom_up_basis):
    (s1,) = rows(
        bottom_up_basis,
        "select sum_account_targets, accounts_missing_target from marts.seller_target_rollup "
        "where seller_id = 'S1' and period = ?",
        Q1,
    )
    # D1 30.00, D2 null, F1 0, F3 null
    assert (s1["sum_account_targets"], s1["accounts_missing_target"]) == (d("30.00"), 2)


def test_allocated_basis_reads_final_target_everywhere(allocated_basis):
    (s1,) = rows(
        allocated_basis,
        "select sum_account_targets, accounts_missing_target from marts.seller_target_rollup "
        "where seller_id = 'S1' and period = ?",
        Q1,
    )
    # D1 30.00 + D2 35.01 + F1 0.00 + F3 299.99 (allocated)
    assert (s1["sum_account_targets"], s1["accounts_missing_target"]) == (d("365.00"), 0)
    distribution = {
        r["account_id"]: r["target_amount_corp"]
        for r in rows(
            allocated_basis,
            "select account_id, target_amount_corp from marts.account_target_distribution "
            "where period = ?",
            Q1,
        )
    }
    assert distribution == {"D1": d("30.00"), "D2": d("35.01"), "F1": d("0.00"), "F3": d("299.99")}
    (eu,) = rows(
        allocated_basis,
        "select bottom_up_targets, unassigned_targets from marts.territory_rollup "
        "where territory_id = 'EU' and period = ?",
        Q1,
    )
    # + D3 35.00 and F2 200.00 (override), both unowned
    assert (eu["bottom_up_targets"], eu["unassigned_targets"]) == (d("600.00"), d("235.00"))


def test_allocated_basis_limits_the_share_of_null_final_targets(tmp_path):
    # one null final target (I2) in 33 rows: over a limit of 0.02 the build fails
    _, output = build_allocation_warehouse(
        tmp_path,
        allocation_vars(targets_basis="allocated", max_null_target_share=0.02, **BUCKETS),
        expect_success=False,
    )
    assert "FAIL 1 null_share_within_policy_account_target_allocation_final_target" in output


# ---------------------------------------------------------------- dbt docs


ALLOCATION_MODELS = {
    "staging": ["stg_target_overrides"],
    "intermediate": ["int_allocation_nodes", "int_target_nodes", "int_final_account_targets"],
    "marts": ["account_target_allocation", "territory_allocation"],
}


def test_every_column_of_the_allocation_models_is_documented(even):
    import yaml
    from small_warehouse import DBT_PROJECT_DIR

    for schema, models in ALLOCATION_MODELS.items():
        for model in models:
            document = yaml.safe_load(
                (DBT_PROJECT_DIR / "models" / schema / f"{model}.yml").read_text()
            )
            (entry,) = document["models"]
            assert entry["name"] == model and entry["description"].strip()
            described = {c["name"]: c.get("description", "").strip() for c in entry["columns"]}
            assert all(described.values()), model
            built = [
                r["column_name"]
                for r in rows(
                    even,
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    schema,
                    model,
                )
            ]
            assert built and set(built) == set(described), model
