"""Property test of account target allocation (docs/contract.md section 3b).

For random hierarchies, top-down targets, bottom-up input, overrides, revenues and
industries, the SQL dbt compiles for the allocation models runs in an in-memory DuckDB
(dbt compiles once per method; each example costs milliseconds, not a dbt build). On
every example the blocking identities hold per node (preserved + allocated +
unallocated - over_committed = pool; the allocated cents sum to allocated_targets), every
other data test of the two marts passes, and every number matches a reference written
here in Python from section 3b on integer cents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from small_warehouse import TEST_POLICY_VARS, run_dbt

from quota_pipeline.ingest.specs import SPECS

PERIODS = ("FY2027-Q1", "FY2027-Q2")
INDUSTRIES = (None, "software", "retail", "mining")
BUCKET_WEIGHTS = {"software": 3, "retail": 1, "none": 0}
MODELS = (
    "stg_territories", "stg_accounts", "stg_fiscal_periods", "stg_account_targets",
    "stg_target_overrides", "stg_topdown_targets", "stg_fx_rates", "int_fx_rates",
    "int_territory_closure", "int_allocation_nodes", "int_target_nodes",
    "account_target_allocation", "territory_allocation",
)  # fmt: skip
MARTS = ("account_target_allocation", "territory_allocation")
REVENUE_SCALE = 10**6  # staging types revenue as decimal(18, 6)


@dataclass(frozen=True)
class Compiled:
    """The compiled SQL of the model chain (in build order) and of the marts' data tests."""

    models: list[tuple[str, str, str]]  # (schema, name, sql)
    tests: dict[str, str]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Compiled]:
    found = {}
    for method in ("even", "weighted", "bucketed"):
        work_dir = tmp_path_factory.mktemp(f"compile_{method}")
        policy_vars = {
            **TEST_POLICY_VARS,
            "allocation_method": method,
            "bucket_column": "industry",
            "bucket_weights": BUCKET_WEIGHTS,
        }
        result = run_dbt(
            "compile", "--select", "+territory_allocation", "--vars", json.dumps(policy_vars),
            database=work_dir / "warehouse.duckdb", work_dir=work_dir,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        nodes = json.loads((work_dir / "target" / "manifest.json").read_text())["nodes"]
        models = [
            (node["schema"], name, node["compiled_code"])
            for name in MODELS
            for node in [nodes[f"model.quota_pipeline.{name}"]]
        ]
        tests = {
            node["name"]: node["compiled_code"]
            for node in nodes.values()
            if node["resource_type"] == "test"
            and node.get("attached_node") in {f"model.quota_pipeline.{m}" for m in MARTS}
        }
        found[method] = Compiled(models, tests)
    return found


# ---------------------------------------------------------------- random inputs


@dataclass(frozen=True)
class Account:
    account_id: str
    territory_id: str
    revenue: Decimal | None
    industry: str | None


@dataclass(frozen=True)
class Case:
    parents: dict[str, str | None]
    accounts: list[Account]
    bottom_up: dict[tuple[str, str], int | None]  # cents; None: a row with a null amount
    overrides: dict[tuple[str, str], int]
    topdown: dict[tuple[str, str], int]


CENTS = st.integers(min_value=0, max_value=200_000)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    territories = [f"T{i}" for i in range(draw(st.integers(1, 6)))]
    parents: dict[str, str | None] = {}
    for index, territory in enumerate(territories):
        parents[territory] = draw(st.none() | st.sampled_from(territories[:index] or [None]))
    revenue = st.none() | st.decimals(0, 5, places=2, allow_nan=False, allow_infinity=False)
    accounts = [
        Account(
            f"A{i}",
            draw(st.sampled_from(territories)),
            draw(revenue),
            draw(st.sampled_from(INDUSTRIES)),
        )
        for i in range(draw(st.integers(0, 8)))
    ]
    keys = [(a.account_id, p) for a in accounts for p in PERIODS]
    bottom_up = {k: draw(st.none() | CENTS) for k in keys if draw(st.booleans())}
    overrides = {k: draw(CENTS) for k in keys if draw(st.integers(0, 4)) == 0}
    topdown = {
        (t, p): draw(st.integers(0, 500_000) | st.integers(0, 30))
        for t in territories
        for p in PERIODS
        if draw(st.integers(0, 2)) == 0
    }
    return Case(parents, accounts, bottom_up, overrides, topdown)


# ---------------------------------------------------------------- section 3b in Python


def largest_remainder(cents: int, weights: dict[str, int]) -> dict[str, int]:
    """R cents by weight: floor(R * w / W) each, the rest by largest R * w mod W, then key."""
    total = sum(weights.values())
    base = {key: cents * w // total for key, w in weights.items()}
    left = cents - sum(base.values())
    order = sorted(weights, key=lambda key: (-(cents * weights[key] % total), key))
    return {key: base[key] + (1 if key in order[:left] else 0) for key in weights}


def spread(cents: int, eligible: list[Account], method: str) -> tuple[dict[str, int], str]:
    even = {a.account_id: 1 for a in eligible}
    if method == "weighted":
        weights = {a.account_id: int((a.revenue or 0) * REVENUE_SCALE) for a in eligible}
        if sum(weights.values()) > 0:
            return largest_remainder(cents, weights), "weighted"
    if method == "bucketed":
        buckets: dict[str, list[str]] = {}
        for account in eligible:
            buckets.setdefault(account.industry or "none", []).append(account.account_id)
        weights = {bucket: BUCKET_WEIGHTS.get(bucket, 0) for bucket in buckets}
        if sum(weights.values()) > 0:
            shares: dict[str, int] = {}
            for bucket, amount in largest_remainder(cents, weights).items():
                shares |= largest_remainder(amount, dict.fromkeys(buckets[bucket], 1))
            return shares, "bucketed"
    return largest_remainder(cents, even), "even"


def nearest_node(case: Case, territory: str | None, period: str) -> str | None:
    while territory is not None and (territory, period) not in case.topdown:
        territory = case.parents[territory]
    return territory


def reference(case: Case, method: str) -> tuple[dict, dict]:
    """(account rows, node rows) of the two marts, amounts in cents."""
    accounts_out: dict[tuple[str, str], dict[str, Any]] = {}
    nodes_out: dict[tuple[str, str], dict[str, Any]] = {}
    for period in PERIODS:
        node_of = {a.account_id: nearest_node(case, a.territory_id, period) for a in case.accounts}
        parent_node = {
            t: nearest_node(case, case.parents[t], period) for (t, p) in case.topdown if p == period
        }
        allocations: dict[str, dict[str, int]] = {"final": {}, "calculated": {}}
        for node in parent_node:
            children = sum(case.topdown[(m, period)] for m, up in parent_node.items() if up == node)
            pool = case.topdown[(node, period)] - children
            direct = [a for a in case.accounts if node_of[a.account_id] == node]
            row = {"pool": pool, "child_topdown_targets": children}
            for split in ("final", "calculated"):
                inputs = {
                    a.account_id: value
                    for a in direct
                    if (value := _input(case, a.account_id, period, split == "final")) is not None
                }
                eligible = [a for a in direct if a.account_id not in inputs]
                remainder = pool - sum(inputs.values())
                shares, used = {a.account_id: 0 for a in eligible}, None
                if remainder > 0 and eligible:
                    shares, used = spread(remainder, eligible, method)
                allocations[split] |= shares
                if split == "final":
                    row |= {
                        "preserved_targets": sum(inputs.values()),
                        "eligible_account_count": len(eligible),
                        "allocated_targets": remainder if remainder > 0 and eligible else 0,
                        "unallocated": remainder if remainder > 0 and not eligible else 0,
                        "over_committed": max(0, -remainder),
                        "method_used": used,
                    }
            nodes_out[(period, node)] = row
        for account in case.accounts:
            key = (account.account_id, period)
            node = node_of[account.account_id]
            if node is None and key not in case.bottom_up and key not in case.overrides:
                continue
            bottom_up, override = case.bottom_up.get(key), case.overrides.get(key)
            allocated = allocations["final"].get(account.account_id)
            source = (
                "override" if override is not None
                else "bottom_up" if bottom_up is not None
                else "allocated" if node is not None
                else "none"
            )  # fmt: skip
            accounts_out[(period, account.account_id)] = {
                "allocation_territory_id": node,
                "bottom_up_target": bottom_up,
                "override_target": override,
                "calculated_target": bottom_up
                if bottom_up is not None
                else allocations["calculated"].get(account.account_id),
                "final_target": next(
                    (v for v in (override, bottom_up, allocated) if v is not None), None
                ),
                "target_source": source,
                "allocation_method": nodes_out[(period, node)]["method_used"]
                if source == "allocated"
                else None,
            }
    return accounts_out, nodes_out


def _input(case: Case, account_id: str, period: str, with_overrides: bool) -> int | None:
    if with_overrides and (account_id, period) in case.overrides:
        return case.overrides[(account_id, period)]
    return case.bottom_up.get((account_id, period))


# ---------------------------------------------------------------- the SQL on the case


def money(cents: int | None) -> str | None:
    return None if cents is None else str(Decimal(cents) / 100)


def raw_rows(case: Case) -> dict[str, list[dict[str, Any]]]:
    return {
        "territories": [
            {"territory_id": t, "territory_name": t, "parent_territory_id": parent}
            for t, parent in case.parents.items()
        ],
        "accounts": [
            {
                "account_id": a.account_id,
                "account_name": a.account_id,
                "territory_id": a.territory_id,
                "segment": "smb",
                "industry": a.industry,
                "annual_revenue": None if a.revenue is None else str(a.revenue),
            }
            for a in case.accounts
        ],
        "fiscal_periods": [
            {
                "period": p,
                "fiscal_year": "2027",
                "start_date": f"2027-0{i * 3 + 1}-01",
                "end_date": f"2027-0{i * 3 + 3}-28",
            }
            for i, p in enumerate(PERIODS)
        ],
        "account_targets": [
            {"account_id": a, "period": p, "target_amount": money(c), "currency_iso": "USD"}
            for (a, p), c in case.bottom_up.items()
        ],
        "target_overrides": [
            {
                "account_id": a,
                "period": p,
                "target_amount": money(c),
                "currency_iso": "USD",
                "reason": "planner",
                "overridden_by": None,
            }
            for (a, p), c in case.overrides.items()
        ],
        "topdown_targets": [
            {"territory_id": t, "period": p, "target_amount": money(c), "currency_iso": "USD"}
            for (t, p), c in case.topdown.items()
        ],
        "fx_rates": [],
    }


def build(con: duckdb.DuckDBPyConnection, case: Case, compiled: Compiled) -> None:
    con.execute("attach ':memory:' as warehouse")
    for schema in ("raw", "staging", "intermediate", "marts"):
        con.execute(f"create schema warehouse.{schema}")
    for extract, records in raw_rows(case).items():
        columns = SPECS[extract].column_names
        select = ", ".join(f"cast(null as varchar) as {c}" for c in columns)
        con.execute(
            f"create table warehouse.raw.{extract} as select {select}, "
            "cast(null as bigint) as _source_line, false as _is_quarantined limit 0"
        )
        for number, record in enumerate(records):
            values = [record.get(c) for c in columns]
            marks = ", ".join("?" for _ in columns)
            con.execute(
                f"insert into warehouse.raw.{extract} values ({marks}, ?, false)", [*values, number]
            )
    for schema, name, sql in compiled.models:
        con.execute(f"create table warehouse.{schema}.{name} as {sql}")


def cents_of(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases(), method=st.sampled_from(["even", "weighted", "bucketed"]))
def test_allocation_identities_and_reference(compiled, case, method):
    with duckdb.connect() as con:
        build(con, case, compiled[method])
        for name, sql in compiled[method].tests.items():
            assert con.execute(f"select count(*) from ({sql})").fetchone() == (0,), name
        accounts, nodes = reference(case, method)
        got_nodes = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "select period, territory_id, pool, child_topdown_targets, preserved_targets, "
                "eligible_account_count, allocated_targets, unallocated, over_committed, "
                "method_used from warehouse.marts.territory_allocation"
            ).fetchall()
        }
        assert set(got_nodes) == set(nodes)
        for key, row in nodes.items():
            pool, child, preserved, eligible, allocated, unallocated, over, used = got_nodes[key]
            assert (
                cents_of(pool), cents_of(child), cents_of(preserved), eligible,
                cents_of(allocated), cents_of(unallocated), cents_of(over), used,
            ) == (
                row["pool"], row["child_topdown_targets"], row["preserved_targets"],
                row["eligible_account_count"], row["allocated_targets"], row["unallocated"],
                row["over_committed"], row["method_used"],
            ), key  # fmt: skip
        got_accounts = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "select period, account_id, allocation_territory_id, bottom_up_target, "
                "override_target, calculated_target, final_target, target_source, "
                "allocation_method from warehouse.marts.account_target_allocation"
            ).fetchall()
        }
        assert set(got_accounts) == set(accounts)
        for key, row in accounts.items():
            node, bottom_up, override, calculated, final, source, used = got_accounts[key]
            assert (
                node, cents_of(bottom_up), cents_of(override), cents_of(calculated),
                cents_of(final), source, used,
            ) == (
                row["allocation_territory_id"], row["bottom_up_target"], row["override_target"],
                row["calculated_target"], row["final_target"], row["target_source"],
                row["allocation_method"],
            ), key  # fmt: skip
