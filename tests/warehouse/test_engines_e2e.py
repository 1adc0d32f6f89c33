"""The same pipeline on PostgreSQL and on Spark gives the DuckDB run's tables, row for row.

Each engine run is the real `quota-pipeline run` (Dagster, dbt, Polars) on the small
fixture with QUOTA_DBT_TARGET set; every mart, the territory closure and both risk tables
are read back from the engine and compared with the DuckDB run on the same extracts
(sorted rows; decimals exactly, doubles within 1e-9). The engines come from the
environment `.ci/run` prepares (a real PostgreSQL 15, a local Spark); without it the
tests skip and say why. Each run's duration is printed (pytest -s, or the -ra summary).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from support import CLI, POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.warehouse.base import TableEngine
from quota_pipeline.warehouse.postgres import PostgresWarehouse
from quota_pipeline.warehouse.spark import SparkWarehouse
from quota_pipeline.warehouse.sync import build_file_tables, ship_raw

pytestmark = pytest.mark.slow


# table -> the key its rows are sorted by before the comparison
COMPARED = {
    "marts.account_target_distribution": ["period", "account_id"],
    "marts.seller_target_rollup": ["period", "seller_id"],
    "marts.territory_rollup": ["period", "territory_id"],
    "marts.account_target_allocation": ["period", "account_id"],
    "marts.territory_allocation": ["period", "territory_id"],
    "intermediate.int_territory_closure": ["ancestor_territory_id", "territory_id"],
    "risk.quota_risk": ["period", "seller_id"],
    "risk.strategic_gaps": ["period", "territory_id"],
    "risk.seller_outlook": ["period", "seller_id"],
    "risk.territory_outlook": ["period", "territory_id"],
}
ENGINE_SCHEMAS = ("raw", "dq", "staging", "intermediate", "marts", "risk")
DURATIONS: dict[str, float] = {}


def run_pipeline(target: str, out: Path, extra_env: dict[str, str]) -> Path:
    """One `quota-pipeline run` on the small fixture into ``out``; the published file."""
    warehouse = out / "warehouse.duckdb"
    (out / "dagster_home").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **extra_env,
        "QUOTA_DBT_TARGET": target,
        "QUOTA_WAREHOUSE": str(warehouse),
        "QUOTA_OPS_DB": str(out / "ops.duckdb"),
        "DAGSTER_HOME": str(out / "dagster_home"),
        "QUOTA_POLICY": str(POLICY_FILE),
    }
    started = time.perf_counter()
    result = subprocess.run(
        [str(CLI), "run", "--extracts", str(SMALL_FIXTURE), "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
    )
    DURATIONS[target] = time.perf_counter() - started
    print(f"\nquota-pipeline run on {target}: {DURATIONS[target]:.1f}s")
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return warehouse


def duckdb_tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            name: pl.from_arrow(con.sql(f"select * from {name}").to_arrow_table())
            for name in COMPARED
        }


def assert_same_table(name: str, expected: pl.DataFrame, actual: pl.DataFrame) -> None:
    """Same columns, same rows in key order; doubles within 1e-9, the rest exactly."""
    assert sorted(actual.columns) == sorted(expected.columns), name
    keys = COMPARED[name]
    expected = expected.sort(keys)
    actual = actual.select(expected.columns).sort(keys)
    for column, dtype in expected.schema.items():
        if isinstance(dtype, pl.Decimal):
            # same value at the contract's scale, whatever precision the engine declares
            actual = actual.with_columns(pl.col(column).cast(dtype))
    assert_frame_equal(
        expected, actual, check_dtypes=False, check_exact=False, rel_tol=1e-9, abs_tol=1e-9
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """The DuckDB (embedded default) run: the tables every engine must reproduce."""
    if not (os.environ.get("QUOTA_PG_DSN") or os.environ.get("QUOTA_SPARK_WAREHOUSE")):
        pytest.skip("no engine configured (QUOTA_PG_DSN, QUOTA_SPARK_WAREHOUSE): .ci/run sets them")
    warehouse = run_pipeline("duckdb", tmp_path_factory.mktemp("duckdb_run"), {})
    return duckdb_tables(warehouse)


def check_engine(engine: TableEngine, warehouse: Path, reference: dict[str, pl.DataFrame]) -> None:
    tables = engine.read_tables(list(COMPARED))
    for name, expected in reference.items():
        assert_same_table(name, expected, tables[name])
    # the published DuckDB file is the embedded copy of the same run
    embedded = duckdb_tables(warehouse)
    for name, expected in reference.items():
        assert_same_table(name, expected, embedded[name])


def test_postgres_run_equals_duckdb_run(reference, tmp_path: Path) -> None:
    if not os.environ.get("QUOTA_PG_DSN"):
        pytest.skip("QUOTA_PG_DSN not set: no PostgreSQL to run on (.ci/run starts one)")
    pytest.importorskip("dbt.adapters.postgres", reason="dbt-postgres not installed")
    pytest.importorskip("adbc_driver_postgresql", reason="adbc-driver-postgresql not installed")
    engine = PostgresWarehouse.from_env()
    with engine._connect() as con, con.cursor() as cur:  # a clean database for this run
        for schema in ENGINE_SCHEMAS:
            cur.execute(f"drop schema if exists {schema} cascade")
        con.commit()
    warehouse = run_pipeline("postgres", tmp_path / "postgres_run", {})
    check_engine(engine, warehouse, reference)
    # the next night ships raw.* again while tonight's staging views depend on it
    assert ship_raw(engine, warehouse) == len(build_file_tables(warehouse)) > 0


def test_spark_run_equals_duckdb_run(reference, tmp_path: Path) -> None:
    if not os.environ.get("QUOTA_SPARK_WAREHOUSE"):
        pytest.skip("QUOTA_SPARK_WAREHOUSE not set: no local Spark to run on (.ci/run sets it)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime: local Spark needs Java 17")
    pytest.importorskip("dbt.adapters.spark", reason="dbt-spark not installed")
    pytest.importorskip("pyspark", reason="pyspark not installed")
    home = tmp_path / "spark"  # a fresh warehouse and metastore for this run
    started = time.time()
    warehouse = run_pipeline("spark", tmp_path / "spark_run", {"QUOTA_SPARK_WAREHOUSE": str(home)})
    check_engine(SparkWarehouse(home=home), warehouse, reference)
    # No swap on Spark (README, docs/deployment.md 3): each table is replaced in place when
    # its step writes it, so a reader during the run (or after a failed one) sees the raw,
    # mart and risk tables change at different moments of the run, in this order.
    written = [spark_written_at(home, name) for name in SPARK_WRITE_ORDER]
    assert started < written[0] < written[1] < written[2] < time.time(), written


# One table per step that writes to Spark: ingest's shipment, dbt, the risk step.
SPARK_WRITE_ORDER = ("raw.accounts", "marts.seller_target_rollup", "risk.quota_risk")


def spark_written_at(home: Path, name: str) -> float:
    """When Spark committed the managed table's files (its _SUCCESS marker)."""
    schema, table = name.split(".")
    return (home / "warehouse" / f"{schema}.db" / table / "_SUCCESS").stat().st_mtime
