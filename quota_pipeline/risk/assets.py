"""The risk tables: read marts into Polars, apply planning/, write back.

risk.quota_risk, risk.strategic_gaps and the outlook of docs/contract.md 3c
(risk.seller_outlook, risk.territory_outlook). The formulas live in
quota_pipeline.planning (no Dagster); this file moves Arrow batches between the build
file and Polars. The frames are per seller and per territory aggregates (sellers x
periods), never the account table, so they stay small at any scale.

quota_risk and both outlook tables are one step. The outlook's fired rules become
quota_risk's sentences, so it is computed once, before either table is written; and the
territory outlook reads the seller outlook: as a step of its own after them it would wait
for the blocking drift check on quota_risk, which itself waits for the territory outlook.
"""

from collections.abc import Iterator

import duckdb
import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from quota_pipeline.planning import compute_strategic_gaps
from quota_pipeline.planning.outlook import (
    HEALTHY,
    compute_risk_and_outlook,
    compute_territory_outlook,
)
from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.risk.previous import read_published_quota_risk
from quota_pipeline.warehouse.base import Warehouse
from quota_pipeline.warehouse.engines import active_warehouse

SELLER_ROLLUP = AssetKey(["marts", "seller_target_rollup"])
TERRITORY_ROLLUP = AssetKey(["marts", "territory_rollup"])
TERRITORY_CLOSURE = AssetKey(["intermediate", "int_territory_closure"])
QUOTA_RISK = AssetKey(["risk", "quota_risk"])
SELLER_OUTLOOK = AssetKey(["risk", "seller_outlook"])
STRATEGIC_GAPS = AssetKey(["risk", "strategic_gaps"])
TERRITORY_OUTLOOK = AssetKey(["risk", "territory_outlook"])


def read_marts(
    warehouse: Warehouse, con: duckdb.DuckDBPyConnection
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The seller and territory rollups and the territory closure, from where dbt built them
    (the build file open in ``con``, or the engine of QUOTA_DBT_TARGET)."""
    return (
        warehouse.read_model(con, "marts.seller_target_rollup"),
        warehouse.read_model(con, "marts.territory_rollup"),
        warehouse.read_model(con, "intermediate.int_territory_closure"),
    )


def write_table(
    warehouse: Warehouse, con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame
) -> None:
    """Replace ``table`` with ``frame`` in the build file (Arrow zero-copy into DuckDB),
    and in the warehouse engine beside it, if any (its ``write_table``)."""
    warehouse.write_table(table, frame)
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


def _risk_spec(key: AssetKey, description: str) -> AssetSpec:
    return AssetSpec(
        key,
        deps=[SELLER_ROLLUP, TERRITORY_ROLLUP, TERRITORY_CLOSURE],
        group_name="risk",
        kinds={"polars", "duckdb"},
        description=description,
    )


@multi_asset(
    # the step key an @asset of risk.quota_risk had; run logs and tests wait for it
    name="risk__quota_risk",
    specs=[
        _risk_spec(
            QUOTA_RISK,
            "Seller x period with a quota: gap, capacity, risk level, reasons, actions.",
        ),
        _risk_spec(
            SELLER_OUTLOOK,
            "The rows of risk.quota_risk: attainment probability, fragility (top account,"
            " accounts to break), fairness against peers, change since the last publish.",
        ),
        _risk_spec(
            TERRITORY_OUTLOOK,
            "The rows of risk.strategic_gaps: quota over-assignment, expected sellers at"
            " quota against the attainment design band, expected coverage, capacity Gini,"
            " balance of the child territories.",
        ),
    ],
)
def quota_risk(
    context: AssetExecutionContext, quota: QuotaPipelineResource
) -> Iterator[MaterializeResult]:
    previous = read_published_quota_risk(quota.settings.warehouse)
    warehouse = active_warehouse()
    with quota.build_connection() as con:
        sellers, territories, closure = read_marts(warehouse, con)
        risk, outlook = compute_risk_and_outlook(sellers, territories, previous, quota.policy)
        regional = compute_territory_outlook(territories, risk, outlook, closure, quota.policy)
        write_table(warehouse, con, "risk.quota_risk", risk)
        write_table(warehouse, con, "risk.seller_outlook", outlook)
        write_table(warehouse, con, "risk.territory_outlook", regional)
    if previous is None:
        context.log.info("no published risk.quota_risk: sat_change and relief are null")
    yield _quota_risk_result(context, risk)
    yield _seller_outlook_result(outlook)
    yield _territory_outlook_result(regional, territories)


def _quota_risk_result(context: AssetExecutionContext, risk: pl.DataFrame) -> MaterializeResult:
    by_level = dict(risk.group_by("risk_level").len().iter_rows())
    worst = risk.filter(pl.col("risk_level") == "critical").sort(
        "quota_to_capacity_ratio", descending=True, nulls_last=False
    )
    context.log.info(f"risk levels: {by_level}")
    return MaterializeResult(
        asset_key=QUOTA_RISK,
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
        },
    )


def _seller_outlook_result(outlook: pl.DataFrame) -> MaterializeResult:
    def count(column: str) -> int:
        return int(outlook[column].fill_null(False).sum())

    fragile = int((outlook["accounts_to_break"] == 1).sum())
    least_likely = outlook.sort(["attainment_probability", "period", "seller_id"])
    return MaterializeResult(
        asset_key=SELLER_OUTLOOK,
        metadata={
            "dagster/row_count": outlook.height,
            "unfair_sellers": count("unfair"),
            "fragile_sellers": fragile,
            "relief_candidates": count("relief_candidate"),
            "mean_attainment_probability": round(
                float(outlook["attainment_probability"].mean() or 0.0), 4
            ),
            "least_likely": _preview(
                least_likely,
                [
                    "period",
                    "seller_id",
                    "attainment_probability",
                    "accounts_to_break",
                    "stretch_vs_peers",
                    "fair_quota",
                ],
            ),
        },
    )


@asset(
    key=AssetKey(["risk", "strategic_gaps"]),
    deps=[TERRITORY_ROLLUP, SELLER_ROLLUP, TERRITORY_CLOSURE],
    group_name="risk",
    kinds={"polars", "duckdb"},
    description="Territory x period with a top-down target: strategic gap, headcount, levers.",
)
def strategic_gaps(quota: QuotaPipelineResource) -> MaterializeResult:
    warehouse = active_warehouse()
    with quota.build_connection() as con:
        sellers, territories, closure = read_marts(warehouse, con)
        gaps = compute_strategic_gaps(territories, sellers, closure, quota.policy)
        write_table(warehouse, con, "risk.strategic_gaps", gaps)
    return MaterializeResult(
        metadata={
            "dagster/row_count": gaps.height,
            "largest_gaps": _preview(
                gaps.sort("strategic_gap", descending=True),
                ["period", "territory_id", "strategic_gap", "headcount_needed", "levers"],
            ),
        }
    )


def _territory_outlook_result(
    outlook: pl.DataFrame, territories: pl.DataFrame
) -> MaterializeResult:
    health = pl.col("attainment_health")
    outside = outlook.filter(health.is_not_null() & (health != HEALTHY))
    regions = _regions(territories)
    regions_outside = outside.join(regions, on=["period", "territory_id"], how="semi")
    return MaterializeResult(
        asset_key=TERRITORY_OUTLOOK,
        metadata={
            "dagster/row_count": outlook.height,
            "over_assigned_territories": int(outlook["over_assigned"].fill_null(False).sum()),
            "regions_outside_design_band": regions_outside.height,
            "regions_below_design_band": regions_outside.filter(health == "below").height,
            "regions_above_design_band": regions_outside.filter(health == "above").height,
            "territories_outside_design_band": outside.height,
            "outside_band": _preview(
                outside.sort("share_expected_at_quota"),
                [
                    "period",
                    "territory_id",
                    "share_expected_at_quota",
                    "attainment_health",
                    "quota_over_assignment",
                    "expected_coverage",
                ],
            ),
        },
    )


def _regions(territories: pl.DataFrame) -> pl.DataFrame:
    """Region rows (period, territory_id) of marts.territory_rollup: depth 1, or the roots
    of a flat hierarchy, as the planning report's regions."""
    depth = 1 if (territories["depth"].max() or 0) >= 1 else 0
    return territories.filter(pl.col("depth") == depth).select("period", "territory_id")
