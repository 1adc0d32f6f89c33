"""Which warehouse engine a run builds in: the one place that turns QUOTA_DBT_TARGET into
a `Warehouse` (base.py), so no caller asks which engine it has.

DuckDB (duckdb.py) is the embedded default; postgres.py and spark.py are the engines beside
it. settings.dbt_target reads and validates the variable.
"""

from __future__ import annotations

from quota_pipeline.settings import dbt_target
from quota_pipeline.warehouse.base import Warehouse
from quota_pipeline.warehouse.duckdb import DuckDBWarehouse
from quota_pipeline.warehouse.postgres import PostgresWarehouse, postgres_dbt_environment
from quota_pipeline.warehouse.spark import SparkWarehouse, spark_home


def active_warehouse() -> Warehouse:
    """The warehouse of QUOTA_DBT_TARGET as the run sees it, read at every call.

    On PostgreSQL that is the run's ``__next`` schemas; readers use ``from_env()``.
    """
    target = dbt_target()
    if target == "postgres":
        return PostgresWarehouse.from_env().building()
    if target == "spark":
        return SparkWarehouse.from_env()
    return DuckDBWarehouse()


def engine_dbt_environment() -> dict[str, str]:
    """Extra variables dbt's profile needs for the active target (none for DuckDB)."""
    target = dbt_target()
    if target == "postgres":
        return postgres_dbt_environment()
    if target == "spark":
        return {"QUOTA_SPARK_WAREHOUSE": str(spark_home())}
    return {}
