"""The report's allocation section: where each account target came from, and why.

docs/contract.md 3b spreads each territory's top-down target over the accounts nobody
planned, keeps the field's bottom-up input and lets a planner override one value with a
reason. Before quota planning reads those targets, planners want three things on one
page: that every target node's pool reconciles (topdown_target, child_topdown_targets,
pool, preserved, allocated, unallocated, over_committed, method_used), how much of each
node's number rests on field input (bottom-up and overrides) rather than on the
allocation (chart and table), and every override beside the value it replaced, with who
set it and why, so overrides can be reviewed for fairness. It reads the published tables
only (marts.territory_allocation, marts.account_target_allocation, the territory closure
and raw names). Amounts stay DECIMAL(18,2) up to the page, so every sum shows exact cents;
a warehouse with no top-down target and no override gets a short sentence, not an error.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import polars as pl

from quota_pipeline.analysis.report.charts import _named, _spec
from quota_pipeline.analysis.report.data import read_frame
from quota_pipeline.analysis.report.html import chart_div, table

CHART_IDS = ("allocation_sources",)
HEADING = "Allocation: where the account targets come from"
SOURCE_ORDER = ("bottom_up", "override", "allocated")
SOURCE_COLOURS = ("#2e7d32", "#1565c0", "#f9a825")


@dataclass(frozen=True)
class AllocationData:
    period: str
    summary: dict[str, Any]
    nodes: pl.DataFrame
    sources: pl.DataFrame
    overrides: pl.DataFrame
    planners: pl.DataFrame


def load_allocation(warehouse: Path, period: str) -> AllocationData:
    """The allocation of ``period`` (and every override) from a warehouse file, read-only."""
    params: dict[str, object] = {"period": period}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return AllocationData(
            period=period,
            summary=read_frame(con, SUMMARY_SQL, params).row(0, named=True),
            nodes=read_frame(con, NODES_SQL, params),
            sources=read_frame(con, SOURCES_SQL, params),
            overrides=read_frame(con, OVERRIDES_SQL, params),
            planners=read_frame(con, PLANNERS_SQL, {}),
        )


def money(value: Decimal | None) -> str:
    """An exact amount with thousands separators (DECIMAL(18,2) stays to the cent)."""
    return f"{value if value is not None else Decimal('0.00'):,}"


# ---------------------------------------------------------------- chart


def source_shares(sources: pl.DataFrame) -> pl.DataFrame:
    """One row per node and source: the amount and its share of the node's number."""
    long = sources.select("territory_id", *SOURCE_ORDER).unpivot(
        index="territory_id", variable_name="source", value_name="amount"
    )
    total = pl.col("amount").cast(pl.Float64).sum().over("territory_id")
    return long.with_columns(
        pl.when(total > 0)
        .then((100 * pl.col("amount").cast(pl.Float64) / total).round(1))
        .otherwise(None)
        .alias("share_pct")
    )


def allocation_sources(sources: pl.DataFrame) -> dict[str, Any]:
    """Per target node (its subtree), the share of the accounts' final targets by source."""
    chart = (
        alt.Chart(_named())
        .mark_bar()
        .encode(
            y=alt.Y(
                "territory_id:N",
                sort=sources["territory_id"].to_list(),
                title="territory with a top-down target",
            ),
            x=alt.X(
                "amount:Q",
                stack="normalize",
                axis=alt.Axis(format="%"),
                title="share of the accounts' final targets",
            ),
            color=alt.Color(
                "source:N",
                title="target source",
                scale=alt.Scale(domain=list(SOURCE_ORDER), range=list(SOURCE_COLOURS)),
                sort=list(SOURCE_ORDER),
            ),
            order=alt.Order("source_rank:Q"),
            tooltip=[
                "territory_id:N",
                "source:N",
                alt.Tooltip("amount:Q", format=",.2f"),
                alt.Tooltip("share_pct:Q", format=".1f", title="share (%)"),
            ],
        )
        .properties(
            width=560,
            height=alt.Step(18),
            title="Field input (bottom-up, override) against allocation, per target node",
        )
    )
    rank = {source: index for index, source in enumerate(SOURCE_ORDER)}
    shares = source_shares(sources).with_columns(
        pl.col("source").replace_strict(rank, return_dtype=pl.Int64).alias("source_rank")
    )
    return _spec(chart, shares)


def allocation_charts(data: AllocationData) -> dict[str, dict[str, Any]]:
    """The section's chart; none when the period has no target node (no div either)."""
    if data.sources.is_empty():
        return {}
    return {"allocation_sources": allocation_sources(data.sources)}


# ---------------------------------------------------------------- section


def lead(data: AllocationData) -> str:
    """The few numbers first: where the period's account targets come from."""
    s = data.summary
    period = html.escape(data.period)
    if not s["nodes"]:
        return (
            f"<p>No territory has a top-down target for {period}, so nothing is "
            f"allocated. Account targets: {s['bottom_up_accounts']:,} from the field's "
            f"bottom-up input, {s['override_accounts']:,} from overrides.</p>"
        )
    return (
        f"<p>In {period}, {s['nodes']:,} territories carry a top-down target. "
        f"{s['allocated_accounts']:,} accounts got their target from the allocation "
        f"({money(s['allocated_amount'])}), {s['bottom_up_accounts']:,} kept their bottom-up "
        f"input ({money(s['bottom_up_amount'])}) and {s['override_accounts']:,} carry a "
        f"planner's override ({money(s['override_amount'])}). "
        f"Over-committed nodes (field input above the pool): {s['over_committed_nodes']:,}, "
        f"by {money(s['over_committed'])} in all; nodes with an unallocated remainder (no "
        f"account to spread it on): {s['unallocated_nodes']:,}, "
        f"{money(s['unallocated'])} in all.</p>"
    )


def allocation_section(data: AllocationData) -> tuple[str, str]:
    """(heading, HTML) of the allocation section."""
    overrides = data.overrides.height
    inner = lead(data)
    if not data.sources.is_empty():
        inner += (
            chart_div("allocation_sources")
            + "<h3>How much of each node's number rests on field input (its subtree)</h3>"
            + table(data.sources)
        )
    inner += (
        "<h3>Reconciliation per target node: preserved + allocated + unallocated - "
        "over_committed = pool</h3>"
        + table(data.nodes)
        + f"<h3>Every override ({overrides:,}, all periods, {html.escape(data.period)} first): calculated "
        "value, new value, who and why</h3>"
        + table(data.overrides)
        + "<h3>Overrides per planner</h3>"
        + table(data.planners)
    )
    return HEADING, inner


# ---------------------------------------------------------------- SQL

SUMMARY_SQL = """
with nodes as (
    select count(*) as nodes,
        count(*) filter (where over_committed > 0) as over_committed_nodes,
        cast(coalesce(sum(over_committed), 0) as decimal(18, 2)) as over_committed,
        count(*) filter (where unallocated > 0) as unallocated_nodes,
        cast(coalesce(sum(unallocated), 0) as decimal(18, 2)) as unallocated
    from marts.territory_allocation
    where period = $period
),
accounts as (
    select count(*) filter (where target_source = 'allocated') as allocated_accounts,
        cast(coalesce(sum(final_target) filter (where target_source = 'allocated'), 0)
            as decimal(18, 2)) as allocated_amount,
        count(*) filter (where target_source = 'bottom_up') as bottom_up_accounts,
        cast(coalesce(sum(final_target) filter (where target_source = 'bottom_up'), 0)
            as decimal(18, 2)) as bottom_up_amount,
        count(*) filter (where target_source = 'override') as override_accounts,
        cast(coalesce(sum(final_target) filter (where target_source = 'override'), 0)
            as decimal(18, 2)) as override_amount
    from marts.account_target_allocation
    where period = $period
)
select * from nodes cross join accounts
"""

# Territories in hierarchy order (each after its parent): the path of ids from the root.
PATHS_SQL = """
select territory_id,
    string_agg(ancestor_territory_id, '/' order by levels_below desc) as path
from intermediate.int_territory_closure
group by territory_id
"""

NODES_SQL = f"""
with paths as ({PATHS_SQL})
select a.territory_id, coalesce(n.territory_name, a.territory_id) as territory_name,
    a.topdown_target, a.child_topdown_targets, a.pool, a.preserved_targets,
    a.eligible_account_count, a.allocated_targets, a.unallocated, a.over_committed,
    a.method_used
from marts.territory_allocation as a
left join paths on a.territory_id = paths.territory_id
left join raw.territories as n on a.territory_id = n.territory_id and not n._is_quarantined
where a.period = $period
order by paths.path, a.territory_id
"""

# A node's number is what its whole subtree's accounts carry: every account whose
# allocation node is the node or a target node below it (docs/contract.md 3b).
SOURCES_SQL = f"""
with paths as ({PATHS_SQL}),
subtree as (
    select c.ancestor_territory_id as territory_id, t.target_source, t.final_target
    from marts.account_target_allocation as t
    inner join intermediate.int_territory_closure as c
        on t.allocation_territory_id = c.territory_id
    where t.period = $period
),
sums as (
    select a.territory_id, a.topdown_target,
        cast(coalesce(sum(s.final_target) filter (where s.target_source = 'bottom_up'), 0)
            as decimal(18, 2)) as bottom_up,
        cast(coalesce(sum(s.final_target) filter (where s.target_source = 'override'), 0)
            as decimal(18, 2)) as override,
        cast(coalesce(sum(s.final_target) filter (where s.target_source = 'allocated'), 0)
            as decimal(18, 2)) as allocated
    from marts.territory_allocation as a
    left join subtree as s on a.territory_id = s.territory_id
    where a.period = $period
    group by a.territory_id, a.topdown_target
)
select sums.territory_id, coalesce(n.territory_name, sums.territory_id) as territory_name,
    sums.topdown_target, sums.bottom_up, sums.override, sums.allocated,
    sums.bottom_up + sums.override as field_input,
    round(100 * cast(sums.bottom_up + sums.override as double)
        / nullif(cast(sums.bottom_up + sums.override + sums.allocated as double), 0), 1)
        as field_input_pct
from sums
left join paths on sums.territory_id = paths.territory_id
left join raw.territories as n on sums.territory_id = n.territory_id and not n._is_quarantined
order by paths.path, sums.territory_id
"""

# Every override of every period: the report's period first, then the others in order;
# within a period the largest change first.
OVERRIDES_SQL = """
select t.period, t.account_id, a.account_name, a.owner_seller_id as seller_id,
    t.territory_id, t.allocation_territory_id, t.calculated_target,
    t.override_target as new_target, t.override_target - t.calculated_target as change,
    t.overridden_by, t.override_reason as reason
from marts.account_target_allocation as t
left join raw.accounts as a on t.account_id = a.account_id and not a._is_quarantined
where t.override_target is not null
order by t.period <> $period, t.period,
    abs(t.override_target - t.calculated_target) desc nulls last, t.account_id
"""

PLANNERS_SQL = """
select coalesce(overridden_by, '(not named)') as overridden_by,
    count(*) as overrides,
    count(*) filter (where override_target > calculated_target) as raised,
    count(*) filter (where override_target < calculated_target) as lowered,
    count(*) filter (where calculated_target is null) as had_no_target,
    cast(coalesce(sum(override_target - calculated_target), 0) as decimal(18, 2))
        as net_change
from marts.account_target_allocation
where override_target is not null
group by 1
order by overrides desc, 1
"""
