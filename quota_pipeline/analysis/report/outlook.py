"""The report's outlook section: where the plan will land, read by a sales leader in a minute.

docs/contract.md 3c publishes, per seller, the odds of making the quota, how fragile the
book is and how the stretch compares with peers, and per territory the expected share of
sellers at quota against the policy's attainment design band. This section puts the few
numbers a leader acts on first: the spread of the odds (chart), each region against the
design band (chart and table), then the short lists to act on: sellers one lost account
away from missing, unfair stretches with their fair quota, relief candidates (accounts
left, quota stayed) and over-assigned territories. It reads the published tables only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import polars as pl

from quota_pipeline.analysis.report.charts import _named, _spec
from quota_pipeline.analysis.report.data import read_frame
from quota_pipeline.analysis.report.html import chart_div, table

CHART_IDS = ("attainment_distribution", "region_attainment")
TOP_ROWS = 25
HEALTH_ORDER = ("below", "healthy", "above")
HEALTH_COLOURS = ("#c62828", "#2e7d32", "#1565c0")


@dataclass(frozen=True)
class DesignBand:
    """The policy's outlook.attainment_design: healthy expected share of sellers at quota."""

    low: float
    high: float


@dataclass(frozen=True)
class OutlookData:
    summary: dict[str, Any]
    distribution: pl.DataFrame
    regions: pl.DataFrame
    fragile: pl.DataFrame
    unfair: pl.DataFrame
    relief: pl.DataFrame
    over_assigned: pl.DataFrame


def load_outlook(warehouse: Path, period: str) -> OutlookData:
    """The outlook of ``period`` from a warehouse file (read-only, bind parameters)."""
    params: dict[str, object] = {"period": period}
    listed = {**params, "top": TOP_ROWS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summary = read_frame(con, SUMMARY_SQL, params).row(0, named=True)
        return OutlookData(
            summary=summary,
            distribution=read_frame(con, DISTRIBUTION_SQL, params),
            regions=read_frame(con, REGIONS_SQL, params),
            fragile=read_frame(con, FRAGILE_SQL, listed),
            unfair=read_frame(con, UNFAIR_SQL, listed),
            relief=read_frame(con, RELIEF_SQL, listed),
            over_assigned=read_frame(con, OVER_ASSIGNED_SQL, listed),
        )


# ---------------------------------------------------------------- charts


def attainment_distribution(distribution: pl.DataFrame) -> dict[str, Any]:
    """Sellers by chance of making their quota, in tenths."""
    chart = (
        alt.Chart(_named())
        .mark_bar()
        .encode(
            x=alt.X("chance:N", sort=None, title="chance of making the quota"),
            y=alt.Y("sellers:Q", title="sellers"),
            color=alt.Color(
                "from_pct:Q",
                scale=alt.Scale(domain=[0, 90], range=["#c62828", "#2e7d32"]),
                legend=None,
            ),
            tooltip=["chance:N", "sellers:Q"],
        )
        .properties(width=420, height=240, title="Sellers by chance of making their quota")
    )
    return _spec(chart, distribution)


def region_attainment(regions: pl.DataFrame, design: DesignBand | None) -> dict[str, Any]:
    """Expected share of sellers at quota per region, the design band as two rules."""
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("region:N", title="region"),
            y=alt.Y(
                "expected_at_quota_pct:Q",
                title="expected sellers at quota (%)",
                scale=alt.Scale(domain=[0, 100]),
            ),
            color=alt.Color(
                "health:N",
                title="against the design band",
                scale=alt.Scale(domain=list(HEALTH_ORDER), range=list(HEALTH_COLOURS)),
            ),
            tooltip=[
                "region:N",
                "region_name:N",
                "health:N",
                alt.Tooltip("expected_at_quota_pct:Q", format=".1f"),
                "sellers_with_quota:Q",
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if design is not None:
        for bound in (design.low, design.high):
            layers.append(
                alt.Chart()
                .mark_rule(strokeDash=[4, 3], color="#555")
                .encode(y=alt.datum(round(100 * bound, 6)))
            )
    title = "Expected share of sellers at quota per region"
    if design is not None:
        title += f" (design band {100 * design.low:g}-{100 * design.high:g}%)"
    chart = alt.layer(*layers, data=_named()).properties(width=420, height=240, title=title)
    return _spec(chart, regions)


def outlook_charts(data: OutlookData, design: DesignBand | None) -> dict[str, dict[str, Any]]:
    return {
        "attainment_distribution": attainment_distribution(data.distribution),
        "region_attainment": region_attainment(data.regions, design),
    }


# ---------------------------------------------------------------- section


def outlook_section(data: OutlookData, design: DesignBand | None) -> tuple[str, str]:
    """(heading, HTML) of the outlook section."""
    s = data.summary
    sellers = s["sellers"] or 0
    expected = s["expected_at_quota"] or 0.0
    share = f"{100 * expected / sellers:.0f}%" if sellers else "n/a"
    band = f" (design band {100 * design.low:g}-{100 * design.high:g}%)" if design else ""
    lead = (
        f"<p>Of {sellers:,} sellers with a quota, {expected:,.1f} are expected to make it: "
        f"{share}{band}. {s['fragile'] or 0:,} are one lost account away from missing, "
        f"{s['unfair'] or 0:,} are stretched unfairly against their peers, "
        f"{s['relief'] or 0:,} lost accounts while their quota stayed, and "
        f"{s['over_assigned'] or 0:,} territories carry more quota than their top-down "
        "target allows.</p>"
    )
    inner = (
        lead
        + chart_div("attainment_distribution")
        + chart_div("region_attainment")
        + "<h3>Regions against the attainment design band</h3>"
        + table(data.regions)
        + "<h3>One account away from missing (accounts_to_break = 1)</h3>"
        + table(data.fragile, limit=TOP_ROWS)
        + "<h3>Unfair stretches, with the fair quota at the peer median</h3>"
        + table(data.unfair, limit=TOP_ROWS)
        + "<h3>Relief candidates: accounts left, the quota stayed</h3>"
        + table(data.relief, limit=TOP_ROWS)
        + "<h3>Over-assigned territories (quota sum above the top-down target)</h3>"
        + table(data.over_assigned, limit=TOP_ROWS)
    )
    return "Outlook: odds, fragility and fairness of the quotas", inner


# ---------------------------------------------------------------- SQL

SUMMARY_SQL = """
select count(*) as sellers,
    sum(attainment_probability) as expected_at_quota,
    count(*) filter (where accounts_to_break = 1) as fragile,
    count(*) filter (where unfair) as unfair,
    count(*) filter (where relief_candidate) as relief,
    (select count(*) from risk.territory_outlook
     where period = $period and over_assigned) as over_assigned
from risk.seller_outlook
where period = $period
"""

# Ten bands of 10 points; a probability of 1 belongs to the last.
DISTRIBUTION_SQL = """
with bands as (
    select range * 10 as from_pct from range(10)
),
sellers as (
    select least(floor(attainment_probability * 10), 9) * 10 as from_pct, count(*) as sellers
    from risk.seller_outlook
    where period = $period
    group by 1
)
select bands.from_pct, bands.from_pct || '-' || (bands.from_pct + 10) || '%' as chance,
    coalesce(sellers.sellers, 0) as sellers
from bands
left join sellers on bands.from_pct = sellers.from_pct
order by bands.from_pct
"""

# Regions as the report's summary has them: depth 1, or the roots of a flat hierarchy.
REGIONS_SQL = """
with region_depth as (
    select case when max(depth) >= 1 then 1 else 0 end as depth
    from marts.territory_rollup
),
regions as (
    select territory_id
    from marts.territory_rollup
    where period = $period and depth = (select depth from region_depth)
),
sellers as (
    select c.ancestor_territory_id as territory_id, count(*) as sellers_with_quota
    from risk.quota_risk as r
    inner join intermediate.int_territory_closure as c on r.territory_id = c.territory_id
    where r.period = $period
    group by 1
)
select regions.territory_id as region,
    coalesce(n.territory_name, regions.territory_id) as region_name,
    coalesce(sellers.sellers_with_quota, 0) as sellers_with_quota,
    round(o.expected_sellers_at_quota, 1) as expected_at_quota,
    round(100 * o.share_expected_at_quota, 1) as expected_at_quota_pct,
    coalesce(o.attainment_health, 'no top-down target') as health,
    round(o.quota_over_assignment, 2) as quota_over_assignment,
    o.over_assigned,
    round(o.expected_coverage, 2) as expected_coverage,
    round(o.capacity_gini, 2) as capacity_gini,
    round(o.balance_cv, 2) as balance_cv
from regions
left join risk.territory_outlook as o
    on regions.territory_id = o.territory_id and o.period = $period
left join sellers on regions.territory_id = sellers.territory_id
left join raw.territories as n on regions.territory_id = n.territory_id and not n._is_quarantined
order by regions.territory_id
"""

FRAGILE_SQL = """
select o.seller_id, r.territory_id, m.top1_account_id as top_account, o.top1_target,
    r.quota, round(100 * o.coverage_without_top1, 1) as covered_without_it_pct,
    round(100 * o.attainment_probability, 1) as chance_pct
from risk.seller_outlook as o
inner join risk.quota_risk as r on o.period = r.period and o.seller_id = r.seller_id
inner join marts.seller_target_rollup as m on o.period = m.period and o.seller_id = m.seller_id
where o.period = $period and o.accounts_to_break = 1
order by o.coverage_without_top1, o.seller_id
limit $top
"""

UNFAIR_SQL = """
select o.seller_id, r.territory_id, r.quota, o.fair_quota,
    round(100 * o.stretch_vs_peers, 1) as stretch_vs_peers_pct,
    round(o.peer_median_ratio, 2) as peer_median_ratio,
    round(r.quota_to_capacity_ratio, 2) as quota_to_capacity_ratio
from risk.seller_outlook as o
inner join risk.quota_risk as r on o.period = r.period and o.seller_id = r.seller_id
where o.period = $period and o.unfair
order by abs(o.stretch_vs_peers) desc, o.seller_id
limit $top
"""

RELIEF_SQL = """
select o.seller_id, r.territory_id, r.quota, r.sum_account_targets, o.sat_change,
    round(-100 * o.sat_change / r.quota, 1) as drop_of_quota_pct
from risk.seller_outlook as o
inner join risk.quota_risk as r on o.period = r.period and o.seller_id = r.seller_id
where o.period = $period and o.relief_candidate and r.quota > 0
order by o.sat_change, o.seller_id
limit $top
"""

OVER_ASSIGNED_SQL = """
select o.territory_id, coalesce(n.territory_name, o.territory_id) as territory_name,
    g.quota_sum, g.topdown_target, round(o.quota_over_assignment, 2) as quota_over_assignment,
    round(o.expected_coverage, 2) as expected_coverage,
    round(100 * o.share_expected_at_quota, 1) as expected_at_quota_pct
from risk.territory_outlook as o
inner join risk.strategic_gaps as g on o.period = g.period and o.territory_id = g.territory_id
left join raw.territories as n on o.territory_id = n.territory_id and not n._is_quarantined
where o.period = $period and o.over_assigned
order by o.quota_over_assignment desc, o.territory_id
limit $top
"""
