"""risk.quota_risk and risk.strategic_gaps: read marts into Polars, apply planning/, write back.

The formulas live in quota_pipeline.planning (no Dagster); this file moves Arrow batches
between the build file and Polars. The frames are per seller and per territory
aggregates (sellers x periods), never the account table, so they stay small at any scale.
"""

import duckdb
import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from quota_pipeline.planning import compute_quota_risk, compute_strategic_gaps
from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.warehouse.engines import active_engine

SELLER_ROLLUP = AssetKey(["marts", "seller_target_rollup"])
TERRITORY_ROLLUP = AssetKey(["marts", "territory_rollup"])
TERRITORY_CLOSURE = AssetKey(["intermediate", "int_territory_closure"])


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    """A whole (small, aggregated) table as a Polars frame, via Arrow.

    With QUOTA_DBT_TARGET postgres or spark the marts live in that engine: read there.
    """
    engine = active_engine()
    if engine is not None:
        return engine.read_table(table)
    return pl.from_arrow(con.sql(f"select * from {table}").to_arrow_table())


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace ``table`` with ``frame`` (Arrow zero-copy into DuckDB).

    With another engine the frame goes there too; the build file keeps its embedded copy.
    """
    engine = active_engine()
    if engine is not None:
        engine.write_table(table, frame)
    schema, _name = table.split(".")
    arrow_frame = frame.to_arrow()
    con.execute(f"create schema if not exists {schema}")
    con.register("risk_frame", arrow_frame)
    try:
        con.execute(f"create or replace table {table} as select * from risk_frame")
    finally:
        con.unregister("risk_frame")


def _preview(frame: pl.DataFrame, columns: list[str], rows: int = 10) -> MetadataValue:
    head = frame.select(columns).head(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for record in head.iter_rows():
        lines.append("| " + " | ".join("" if v is None else str(v) for v in record) + " |")
    return MetadataValue.md("\n".join(lines))


@asset(
    key=AssetKey(["risk", "quota_risk"]),
    deps=[SELLER_ROLLUP],
    group_name="risk",
    kinds={"polars", "duckdb"},
    description="Seller x period with a quota: gap, capacity, risk level, reasons, actions.",
)
def quota_risk(context: AssetExecutionContext, quota: QuotaPipelineResource) -> MaterializeResult:
    with quota.build_connection() as con:
        sellers = read_table(con, "marts.seller_target_rollup")
        risk = compute_quota_risk(sellers, quota.policy)
        write_table(con, "risk.quota_risk", risk)
    by_level = dict(risk.group_by("risk_level").len().iter_rows())
    worst = risk.filter(pl.col("risk_level") == "critical").sort(
        "quota_to_capacity_ratio", descending=True, nulls_last=False
    )
    context.log.info(f"risk levels: {by_level}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": risk.height,
            **{
                f"sellers_{level}": int(by_level.get(level, 0))
                for level in ("low", "medium", "high", "critical")
            },
            "top_risks": _preview(
                worst,
                ["period", "seller_id", "quota", "adjusted_capacity", "risk_level", "reasons"],
            ),
        }
    )


@asset(
    key=AssetKey(["risk", "strategic_gaps"]),
    deps=[TERRITORY_ROLLUP, SELLER_ROLLUP, TERRITORY_CLOSURE],
    group_name="risk",
    kinds={"polars", "duckdb"},
    description="Territory x period with a top-down target: strategic gap, headcount, levers.",
)
def strategic_gaps(quota: QuotaPipelineResource) -> MaterializeResult:
    with quota.build_connection() as con:
        territories = read_table(con, "marts.territory_rollup")
        sellers = read_table(con, "marts.seller_target_rollup")
        closure = read_table(con, "intermediate.int_territory_closure")
        gaps = compute_strategic_gaps(territories, sellers, closure, quota.policy)
        write_table(con, "risk.strategic_gaps", gaps)
    return MaterializeResult(
        metadata={
            "dagster/row_count": gaps.height,
            "largest_gaps": _preview(
                gaps.sort("strategic_gap", descending=True),
                ["period", "territory_id", "strategic_gap", "headcount_needed", "levers"],
            ),
        }
    )
