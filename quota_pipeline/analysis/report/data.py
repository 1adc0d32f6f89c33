"""The numbers the planning report shows, read from a warehouse file into Polars frames.

Reads only published tables (risk, marts, dq, raw.territories), read-only, with fixed SQL
and bind parameters; the focus period is the one planners are working on: the period
that contains today, else the next one to start, else the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

TOP_SELLERS = 25
TOP_TERRITORIES = 30


@dataclass(frozen=True)
class ReportData:
    period: str
    periods: list[str]
    regions: pl.DataFrame
    risk_counts: pl.DataFrame
    sellers: pl.DataFrame
    gaps: pl.DataFrame
    top_risks: pl.DataFrame
    risk_levels: pl.DataFrame
    quarantine: pl.DataFrame


def read_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None
) -> pl.DataFrame:
    """One query's result as a Polars frame, through Arrow, with bound parameters."""
    return pl.from_arrow(con.sql(sql, params=params or {}).to_arrow_table())  # type: ignore[return-value]


def focus_period(periods: list[tuple[str, date, date]], today: date) -> str:
    """The period containing today, else the next to start, else the last (by start date)."""
    ordered = sorted(periods, key=lambda row: (row[1], row[0]))
    for name, start, end in ordered:
        if start <= today <= end:
            return name
    upcoming = [name for name, start, _end in ordered if start > today]
    return upcoming[0] if upcoming else ordered[-1][0]


def read_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(risk levels per seller and period, quarantined rows): what a diff compares."""
    levels = read_frame(con, "select period, seller_id, risk_level from risk.quota_risk")
    quarantine = read_frame(
        con,
        "select extract, source_line, record_key, reason from dq.quarantine "
        "order by extract, source_line",
    )
    return levels, quarantine


def load_report_data(warehouse: Path, today: date) -> ReportData:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        periods = con.execute(
            "select period, try_cast(start_date as date), try_cast(end_date as date) "
            "from raw.fiscal_periods where not _is_quarantined"
        ).fetchall()
        period = focus_period(periods, today)
        params = {"period": period}
        regions = read_frame(con, REGIONS_SQL, params)
        risk_counts = read_frame(
            con,
            "select risk_level, count(*) as sellers from risk.quota_risk "
            "where period = $period group by 1",
            params,
        )
        sellers = read_frame(
            con,
            "select seller_id, territory_id, risk_level, cast(quota as double) as quota, "
            "cast(sum_account_targets as double) as sum_account_targets, "
            "quota_to_capacity_ratio from risk.quota_risk where period = $period",
            params,
        )
        gaps = read_frame(con, GAPS_SQL, {**params, "top": TOP_TERRITORIES})
        top_risks = read_frame(con, TOP_RISKS_SQL, {**params, "top": TOP_SELLERS})
        levels, quarantine = read_snapshot(con)
    return ReportData(
        period=period,
        periods=sorted(row[0] for row in periods),
        regions=regions,
        risk_counts=risk_counts,
        sellers=sellers,
        gaps=gaps,
        top_risks=top_risks,
        risk_levels=levels,
        quarantine=quarantine,
    )


# Regions are the top-level territories under the root (depth 1), or the roots themselves
# when the hierarchy is flat. Seller risk rolls up through the territory closure.
REGIONS_SQL = """
with region_depth as (
    select case when max(depth) >= 1 then 1 else 0 end as depth
    from marts.territory_rollup
),
regions as (
    select t.territory_id, t.seller_count, t.quota_sum, t.bottom_up_targets,
        t.topdown_target, t.unassigned_targets
    from marts.territory_rollup as t
    where t.period = $period and t.depth = (select depth from region_depth)
),
seller_risk as (
    select c.ancestor_territory_id as region_id,
        count(*) filter (where r.risk_level = 'critical') as critical,
        count(*) filter (where r.risk_level = 'high') as high,
        count(*) as sellers_with_quota
    from risk.quota_risk as r
    inner join intermediate.int_territory_closure as c on r.territory_id = c.territory_id
    where r.period = $period
    group by 1
)
select regions.territory_id as region,
    coalesce(n.territory_name, regions.territory_id) as region_name,
    regions.seller_count, coalesce(s.sellers_with_quota, 0) as sellers_with_quota,
    coalesce(s.critical, 0) as critical, coalesce(s.high, 0) as high,
    regions.quota_sum, regions.bottom_up_targets, regions.topdown_target,
    regions.topdown_target - regions.bottom_up_targets as strategic_gap,
    regions.unassigned_targets
from regions
left join seller_risk as s on regions.territory_id = s.region_id
left join raw.territories as n on regions.territory_id = n.territory_id and not n._is_quarantined
order by regions.territory_id
"""

GAPS_SQL = """
select g.territory_id, coalesce(n.territory_name, g.territory_id) as territory_name, g.depth,
    cast(g.strategic_gap as double) as strategic_gap, g.headcount_needed,
    array_to_string(g.levers, '; ') as levers
from risk.strategic_gaps as g
left join raw.territories as n on g.territory_id = n.territory_id and not n._is_quarantined
where g.period = $period
order by g.strategic_gap desc, g.territory_id
limit $top
"""

TOP_RISKS_SQL = """
select seller_id, territory_id, risk_level, quota, adjusted_capacity, quota_to_capacity_ratio,
    recommended_quota, array_to_string(reasons, '; ') as reasons,
    array_to_string(recommended_actions, '; ') as recommended_actions
from risk.quota_risk
where period = $period and risk_level in ('critical', 'high')
order by case risk_level when 'critical' then 0 else 1 end,
    quota_to_capacity_ratio desc nulls first, seller_id
limit $top
"""
