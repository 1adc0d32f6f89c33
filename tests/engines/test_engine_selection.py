"""The engine setting and its guards, without any engine running."""

from __future__ import annotations

import polars as pl
import pytest

from quota_pipeline.warehouse import engines
from quota_pipeline.warehouse.engines import (
    PostgresWarehouse,
    SparkWarehouse,
    active_engine,
    engine_dbt_environment,
    postgres_params,
    validate_name,
)


def test_duckdb_is_the_default_and_needs_no_engine(monkeypatch) -> None:
    monkeypatch.delenv("QUOTA_DBT_TARGET", raising=False)
    assert active_engine() is None
    assert engine_dbt_environment() == {}


def test_unknown_target_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("QUOTA_DBT_TARGET", "oracle")
    with pytest.raises(ValueError, match="duckdb, postgres, spark"):
        active_engine()


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
    engine = active_engine()
    assert isinstance(engine, PostgresWarehouse)
    assert engine.uri == "postgresql://ana:s%40cret@db.example:6543/plans"


def test_spark_needs_its_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("QUOTA_DBT_TARGET", "spark")
    monkeypatch.delenv("QUOTA_SPARK_WAREHOUSE", raising=False)
    with pytest.raises(ValueError, match="QUOTA_SPARK_WAREHOUSE"):
        active_engine()
    monkeypatch.setenv("QUOTA_SPARK_WAREHOUSE", str(tmp_path))
    engine = active_engine()
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
    types = {name: engines._postgres_type(dtype) for name, dtype in frame.schema.items()}
    assert types == {
        "money": "numeric(18, 2)",
        "reasons": "text[]",
        "ratio": "double precision",
        "n": "bigint",
    }
