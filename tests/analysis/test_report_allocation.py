"""The report's allocation section on a tiny hand-built warehouse, the numbers worked out.

Period P1, hierarchy ROOT > R1 > R1-A and ROOT > R2, plus a second root X without a
target. Target nodes: ROOT (1,000.00) and R1 (600.00), so ROOT's pool is 400.00.
- R1: a1 bottom-up 300.00 and a2 overridden to 250.00 (with no override it would get half
  of 600 - 300: 150.00) leave 50.00 for a3 (allocated, even).
- ROOT: a4 bottom-up 450.00 is above the pool of 400.00: over-committed by 50.00, and a5
  (no input) is allocated 0.00 with no method.
- X: a6 has no allocation node; its override of 70.00 replaced nothing (calculated null).
P2 holds one more override (a1, 10.00 -> 20.00) to show every period is listed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from quota_pipeline.analysis.report.allocation import (
    HEADING,
    allocation_charts,
    allocation_section,
    load_allocation,
)

SCHEMA = """
create schema marts;
create schema intermediate;
create schema raw;
create table marts.territory_allocation (
    period varchar, territory_id varchar, topdown_target decimal(18, 2),
    child_topdown_targets decimal(18, 2), pool decimal(18, 2),
    preserved_targets decimal(18, 2), eligible_account_count bigint,
    allocated_targets decimal(18, 2), unallocated decimal(18, 2),
    over_committed decimal(18, 2), method_used varchar
);
create table marts.account_target_allocation (
    period varchar, account_id varchar, territory_id varchar,
    allocation_territory_id varchar, bottom_up_target decimal(18, 2),
    override_target decimal(18, 2), override_reason varchar, overridden_by varchar,
    calculated_target decimal(18, 2), final_target decimal(18, 2),
    target_source varchar, allocation_method varchar
);
create table intermediate.int_territory_closure (
    ancestor_territory_id varchar, territory_id varchar, levels_below integer
);
create table raw.territories (
    territory_id varchar, territory_name varchar, _is_quarantined boolean
);
create table raw.accounts (
    account_id varchar, account_name varchar, owner_seller_id varchar,
    _is_quarantined boolean
);
"""

CLOSURE = [
    ("ROOT", "ROOT", 0),
    ("R1", "R1", 0),
    ("ROOT", "R1", 1),
    ("R1-A", "R1-A", 0),
    ("R1", "R1-A", 1),
    ("ROOT", "R1-A", 2),
    ("R2", "R2", 0),
    ("ROOT", "R2", 1),
    ("X", "X", 0),
]

NODES = [
    ("P1", "R1", "600.00", "0.00", "600.00", "550.00", 1, "50.00", "0.00", "0.00", "even"),
    ("P1", "ROOT", "1000.00", "600.00", "400.00", "450.00", 1, "0.00", "0.00", "50.00", None),
]

ACCOUNTS = [
    # period, account, territory, node, bottom_up, override, reason, by, calculated, final,
    # source, method
    ("P1", "a1", "R1-A", "R1", "300.00", None, None, None, "300.00", "300.00", "bottom_up", None),
    (
        "P1",
        "a2",
        "R1-A",
        "R1",
        None,
        "250.00",
        "<b>signed early</b>",
        "k.tanaka",
        "150.00",
        "250.00",
        "override",
        None,
    ),
    ("P1", "a3", "R1", "R1", None, None, None, None, "150.00", "50.00", "allocated", "even"),
    ("P1", "a4", "R2", "ROOT", "450.00", None, None, None, "450.00", "450.00", "bottom_up", None),
    ("P1", "a5", "R2", "ROOT", None, None, None, None, "0.00", "0.00", "allocated", None),
    ("P1", "a6", "X", None, None, "70.00", "new logo", None, None, "70.00", "override", None),
    (
        "P2",
        "a1",
        "R1-A",
        None,
        "10.00",
        "20.00",
        "expansion",
        "k.tanaka",
        "10.00",
        "20.00",
        "override",
        None,
    ),
]


def build_warehouse(path: Path, *, filled: bool = True) -> Path:
    """The tables the section reads; empty ones when ``filled`` is false."""
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA)
        con.executemany("insert into intermediate.int_territory_closure values (?, ?, ?)", CLOSURE)
        names = [("ROOT", "Root", False), ("R1", "Region <one>", False), ("R2", "Two", False)]
        con.executemany("insert into raw.territories values (?, ?, ?)", names)
        if filled:
            con.executemany(
                "insert into marts.territory_allocation values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                NODES,
            )
            con.executemany(
                "insert into marts.account_target_allocation "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ACCOUNTS,
            )
            con.executemany(
                "insert into raw.accounts values (?, ?, ?, ?)",
                [("a2", "Acme", "S1", False), ("a2", "Acme (dup)", "S9", True)],
            )
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "warehouse.duckdb")


def test_summary_counts_accounts_by_source_and_nodes_by_state(warehouse: Path) -> None:
    s = load_allocation(warehouse, "P1").summary
    assert (s["nodes"], s["over_committed_nodes"], s["unallocated_nodes"]) == (2, 1, 0)
    assert (str(s["over_committed"]), str(s["unallocated"])) == ("50.00", "0.00")
    counts = (s["allocated_accounts"], s["bottom_up_accounts"], s["override_accounts"])
    assert counts == (2, 2, 2)
    amounts = (s["allocated_amount"], s["bottom_up_amount"], s["override_amount"])
    assert [str(value) for value in amounts] == ["50.00", "750.00", "320.00"]


def test_nodes_in_hierarchy_order_with_the_reconciliation(warehouse: Path) -> None:
    nodes = load_allocation(warehouse, "P1").nodes
    assert nodes["territory_id"].to_list() == ["ROOT", "R1"]
    root = nodes.row(0, named=True)
    assert root["territory_name"] == "Root"
    assert [str(root[c]) for c in ("pool", "preserved_targets", "over_committed")] == [
        "400.00",
        "450.00",
        "50.00",
    ]
    assert root["method_used"] is None
    assert nodes.row(1, named=True)["method_used"] == "even"


def test_field_input_share_is_over_the_whole_subtree(warehouse: Path) -> None:
    sources = load_allocation(warehouse, "P1").sources
    rows = {row["territory_id"]: row for row in sources.iter_rows(named=True)}
    root, r1 = rows["ROOT"], rows["R1"]
    # ROOT: a1 + a4 bottom-up, a2 override (a6 has no node), a3 + a5 allocated
    assert [str(root[c]) for c in ("bottom_up", "override", "allocated", "field_input")] == [
        "750.00",
        "250.00",
        "50.00",
        "1000.00",
    ]
    assert root["field_input_pct"] == pytest.approx(95.2)  # 1,000 / 1,050
    assert [str(r1[c]) for c in ("bottom_up", "override", "allocated")] == [
        "300.00",
        "250.00",
        "50.00",
    ]
    assert r1["field_input_pct"] == pytest.approx(91.7)  # 550 / 600


def test_every_override_with_its_calculated_value_who_and_why(warehouse: Path) -> None:
    overrides = load_allocation(warehouse, "P1").overrides
    assert overrides.select("period", "account_id").rows() == [
        ("P1", "a2"),
        ("P1", "a6"),  # replaced nothing: no change to sort by, so last in its period
        ("P2", "a1"),
    ]
    a2 = overrides.row(0, named=True)
    assert (a2["account_name"], a2["seller_id"]) == ("Acme", "S1")  # not the quarantined row
    assert [str(a2[c]) for c in ("calculated_target", "new_target", "change")] == [
        "150.00",
        "250.00",
        "100.00",
    ]
    assert (a2["overridden_by"], a2["reason"]) == ("k.tanaka", "<b>signed early</b>")
    a6 = overrides.row(1, named=True)
    assert (a6["calculated_target"], a6["change"], a6["overridden_by"]) == (None, None, None)


def test_overrides_per_planner(warehouse: Path) -> None:
    planners = load_allocation(warehouse, "P1").planners
    rows = {row["overridden_by"]: row for row in planners.iter_rows(named=True)}
    assert planners["overridden_by"].to_list() == ["k.tanaka", "(not named)"]
    tanaka = rows["k.tanaka"]
    assert (tanaka["overrides"], tanaka["raised"], tanaka["lowered"]) == (2, 2, 0)
    assert str(tanaka["net_change"]) == "110.00"
    assert rows["(not named)"]["had_no_target"] == 1


def test_chart_stacks_sources_per_node_in_hierarchy_order(warehouse: Path) -> None:
    spec = allocation_charts(load_allocation(warehouse, "P1"))["allocation_sources"]
    assert spec["encoding"]["y"]["sort"] == ["ROOT", "R1"]
    assert spec["encoding"]["x"]["stack"] == "normalize"
    rows = spec["datasets"]["rows"]
    r1 = {row["source"]: row for row in rows if row["territory_id"] == "R1"}
    assert {source: row["amount"] for source, row in r1.items()} == {
        "bottom_up": 300.0,
        "override": 250.0,
        "allocated": 50.0,
    }
    assert r1["allocated"]["share_pct"] == pytest.approx(8.3)


def test_section_shows_exact_amounts_and_escapes_text(warehouse: Path) -> None:
    heading, inner = allocation_section(load_allocation(warehouse, "P1"))
    assert heading == HEADING
    assert "In P1, 2 territories carry a top-down target." in inner
    assert "2 accounts got their target from the allocation (50.00)" in inner
    assert "by 50.00 in all" in inner
    assert 'id="allocation_sources"' in inner
    assert "Every override (3, all periods, P1 first)" in inner
    assert "&lt;b&gt;signed early&lt;/b&gt;" in inner and "<b>signed" not in inner
    assert "Region &lt;one&gt;" in inner
    assert '<td class="num">1,000.00</td>' in inner  # ROOT's top-down target, to the cent


def test_empty_warehouse_reads_as_a_sentence(tmp_path: Path) -> None:
    data = load_allocation(build_warehouse(tmp_path / "empty.duckdb", filled=False), "P1")
    assert allocation_charts(data) == {}
    _heading, inner = allocation_section(data)
    assert "No territory has a top-down target for P1, so nothing is allocated" in inner
    assert "Account targets: 0 from the field's bottom-up input, 0 from overrides." in inner
    assert "chart" not in inner
    assert "Every override (0, all periods, P1 first)" in inner
    assert inner.count('<p class="empty">None.</p>') == 3


def test_a_period_without_nodes_still_lists_the_overrides(warehouse: Path) -> None:
    data = load_allocation(warehouse, "P2")
    assert allocation_charts(data) == {}
    _heading, inner = allocation_section(data)
    assert "No territory has a top-down target for P2" in inner
    assert "Account targets: 0 from the field's bottom-up input, 1 from overrides." in inner
    assert data.overrides.select("period", "account_id").rows() == [
        ("P2", "a1"),  # the report's period first
        ("P1", "a2"),
        ("P1", "a6"),
    ]


def test_the_period_is_escaped_like_every_other_text(warehouse: Path) -> None:
    _heading, inner = allocation_section(load_allocation(warehouse, "<P3>"))
    assert "No territory has a top-down target for &lt;P3&gt;" in inner
    assert "all periods, &lt;P3&gt; first" in inner and "<P3>" not in inner
