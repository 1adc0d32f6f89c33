"""Schema ``compare`` of a scenario file: the scenario set against the published run.

Before the scenario replaces anything in its copy of the published file, the baseline's
small tables (every risk.* table and the seller and territory rollups; never the account
tables) are kept in schema ``_baseline`` of the copy (dropped before it is published), so the comparison and the outlook's "change since the
last published run" read the very run the scenario started from, even if a nightly run
publishes a new warehouse meanwhile. Money differences are DECIMAL arithmetic in DuckDB,
exact to the cent.

compare.sellers has one row per seller-period with a quota on either side;
compare.territories one per territory-period with a top-down target on either side. The
attainment probability comes from risk.seller_outlook when the run that built each side
had that table, else it is null.
"""

from __future__ import annotations

import duckdb
import polars as pl

BASELINE_SCHEMAS = ("risk",)
BASELINE_TABLES = ("marts.seller_target_rollup", "marts.territory_rollup")
RISK_ORDER = ("low", "medium", "high", "critical")


BASELINE_SCHEMA = "_baseline"


def baseline_name(table: str) -> str:
    """The table of schema _baseline holding the baseline's ``table``."""
    return f"{BASELINE_SCHEMA}." + table.replace(".", "__")


def keep_baseline(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Copy the baseline's small tables into schema _baseline; the tables kept."""
    tables = [
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() and (schema_name in $schemas "
            "or schema_name || '.' || table_name in $tables) order by 1, 2",
            {"schemas": list(BASELINE_SCHEMAS), "tables": list(BASELINE_TABLES)},
        ).fetchall()
    ]
    con.execute(f"create schema if not exists {BASELINE_SCHEMA}")
    for table in tables:
        con.execute(f"create or replace table {baseline_name(table)} as select * from {table}")
    return tables


def drop_baseline(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"drop schema if exists {BASELINE_SCHEMA} cascade")


def read_baseline(
    con: duckdb.DuckDBPyConnection, kept: list[str], table: str
) -> pl.DataFrame | None:
    """The baseline's ``table`` as a frame, None when the published run had none."""
    if table not in kept:
        return None
    return pl.from_arrow(con.sql(f"select * from {baseline_name(table)}").to_arrow_table())  # type: ignore[return-value]


def _probability(con: duckdb.DuckDBPyConnection, table: str | None) -> str:
    """A select of (period, seller_id, attainment_probability) from ``table`` or no rows."""
    if table is not None and _has_column(con, table, "attainment_probability"):
        return f"select period, seller_id, attainment_probability from {table}"
    return (
        "select cast(null as varchar) as period, cast(null as varchar) as seller_id, "
        "cast(null as double) as attainment_probability where false"
    )


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    try:
        names = [row[0] for row in con.execute(f"describe {table}").fetchall()]
    except duckdb.CatalogException:
        return False
    return column in names


def build_compare(con: duckdb.DuckDBPyConnection, kept: list[str]) -> None:
    """Write compare.sellers and compare.territories into the scenario file."""
    con.execute("create schema if not exists compare")
    base_outlook = baseline_name("risk.seller_outlook") if "risk.seller_outlook" in kept else None
    scenario_outlook = (
        "risk.seller_outlook" if _has_column(con, "risk.seller_outlook", "period") else None
    )
    levels = ", ".join(f"'{level}'" for level in RISK_ORDER)
    con.execute(
        f"""
        create or replace table compare.sellers as
        with keys as (
            select period, seller_id from {baseline_name("risk.quota_risk")}
            union
            select period, seller_id from risk.quota_risk
        ),
        base_p as ({_probability(con, base_outlook)}),
        scen_p as ({_probability(con, scenario_outlook)})
        select
            k.period,
            k.seller_id,
            coalesce(s.territory_id, b.territory_id) as territory_id,
            b.quota as baseline_quota,
            s.quota as scenario_quota,
            br.sum_account_targets as baseline_sum_account_targets,
            sr.sum_account_targets as scenario_sum_account_targets,
            b.adjusted_capacity as baseline_adjusted_capacity,
            s.adjusted_capacity as scenario_adjusted_capacity,
            b.risk_level as baseline_risk_level,
            s.risk_level as scenario_risk_level,
            case
                when b.risk_level is null then 'new'
                when s.risk_level is null then 'removed'
                when list_position([{levels}], s.risk_level)
                     > list_position([{levels}], b.risk_level) then 'worse'
                when list_position([{levels}], s.risk_level)
                     < list_position([{levels}], b.risk_level) then 'better'
                else 'same'
            end as risk_direction,
            bp.attainment_probability as baseline_attainment_probability,
            sp.attainment_probability as scenario_attainment_probability,
            (b.quota is distinct from s.quota
                or br.sum_account_targets is distinct from sr.sum_account_targets
                or b.adjusted_capacity is distinct from s.adjusted_capacity
                or b.risk_level is distinct from s.risk_level
                or bp.attainment_probability is distinct from sp.attainment_probability
            ) as changed
        from keys k
        left join {baseline_name("risk.quota_risk")} b using (period, seller_id)
        left join risk.quota_risk s using (period, seller_id)
        left join {baseline_name("marts.seller_target_rollup")} br using (period, seller_id)
        left join marts.seller_target_rollup sr using (period, seller_id)
        left join base_p bp using (period, seller_id)
        left join scen_p sp using (period, seller_id)
        order by k.period, k.seller_id
        """
    )
    con.execute(
        f"""
        create or replace table compare.territories as
        with keys as (
            select period, territory_id from {baseline_name("risk.strategic_gaps")}
            union
            select period, territory_id from risk.strategic_gaps
        )
        select
            k.period,
            k.territory_id,
            b.strategic_gap as baseline_strategic_gap,
            s.strategic_gap as scenario_strategic_gap,
            s.strategic_gap - b.strategic_gap as strategic_gap_change,
            b.headcount_needed as baseline_headcount_needed,
            s.headcount_needed as scenario_headcount_needed,
            s.headcount_needed - b.headcount_needed as headcount_change,
            (b.strategic_gap is distinct from s.strategic_gap
                or b.headcount_needed is distinct from s.headcount_needed) as changed
        from keys k
        left join {baseline_name("risk.strategic_gaps")} b using (period, territory_id)
        left join risk.strategic_gaps s using (period, territory_id)
        order by k.period, k.territory_id
        """
    )
