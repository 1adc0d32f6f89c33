"""The engine setting and its guards, without any engine running."""

from __future__ import annotations

import polars as pl
import pytest

from quota_pipeline.errors import UsageError
from quota_pipeline.settings import dbt_target
from quota_pipeline.warehouse import postgres
from quota_pipeline.warehouse.base import validate_name
from quota_pipeline.warehouse.duckdb import DuckDBWarehouse
from quota_pipeline.warehouse.engines import active_warehouse, engine_dbt_environment
from quota_pipeline.warehouse.postgres import PostgresWarehouse, postgres_params
from quota_pipeline.warehouse.spark import SparkWarehouse


def test_duckdb_is_the_default_and_builds_in_the_build_file(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("QUOTA_DBT_TARGET", raising=False)
    assert dbt_target() == "duckdb"
    warehouse = active_warehouse()
    assert isinstance(warehouse, DuckDBWarehouse) and warehouse.builds_in_build_file
    assert engine_dbt_environment() == {}
    # nothing to ship, copy back or publish: the build file is the warehouse
    build_file = tmp_path / "never_opened.duckdb"
    warehouse.start_run("run")
    assert warehouse.ship_raw(build_file) == 0
    assert warehouse.build_vars() == {}
    warehouse.copy_models_back(build_file)
    assert warehouse.publish("run") is False
    assert not build_file.exists()


def test_unknown_target_is_refused_in_one_line(monkeypatch) -> None:
    monkeypatch.setenv("QUOTA_DBT_TARGET", "oracle")
    with pytest.raises(UsageError) as refused:
        active_warehouse()
    assert str(refused.value) == (
        "QUOTA_DBT_TARGET='oracle': expected one of duckdb, postgres, spark"
    )
    assert refused.value.exit_code == 2


def test_postgres_dsn_is_split_for_dbt(monkeypatch) -> None:
    monkeypatch.setenv("QUOTA_DBT_TARGET", "postgres")
    monkeypatch.setenv("QUOTA_PG_DSN", "postgresql://ana:s%40cret@db.example:6543/plans")
    assert postgres_params() == {
        "host": "db.example",
        "port": "6543",
        "user": "ana",
        "password": "s@cret",
        "database": "plans",
    }
    assert engine_dbt_environment()["QUOTA_PG_PORT"] == "6543"
    engine = active_warehouse()
    assert isinstance(engine, PostgresWarehouse) and not engine.builds_in_build_file
    assert engine.uri == "postgresql://ana:s%40cret@db.example:6543/plans"


def test_spark_needs_its_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("QUOTA_DBT_TARGET", "spark")
    monkeypatch.delenv("QUOTA_SPARK_WAREHOUSE", raising=False)
    with pytest.raises(ValueError, match="QUOTA_SPARK_WAREHOUSE"):
        active_warehouse()
    monkeypatch.setenv("QUOTA_SPARK_WAREHOUSE", str(tmp_path))
    engine = active_warehouse()
    assert isinstance(engine, SparkWarehouse) and engine.home == tmp_path


@pytest.mark.parametrize("name", ["marts", "marts.x; drop table y", "Marts.t", "a.b.c", "a.1b"])
def test_identifiers_are_validated(name: str) -> None:
    with pytest.raises(ValueError):
        validate_name(name)


def test_postgres_column_types_follow_the_frame() -> None:
    frame = pl.DataFrame(
        {"money": [1]},
        schema={"money": pl.Decimal(18, 2)},
    ).with_columns(reasons=pl.lit(["a"]), ratio=pl.lit(0.5), n=pl.lit(1, pl.Int64))
    types = {name: postgres._postgres_type(dtype) for name, dtype in frame.schema.items()}
    assert types == {
        "money": "numeric(18, 2)",
        "reasons": "text[]",
        "ratio": "double precision",
        "n": "bigint",
    }
