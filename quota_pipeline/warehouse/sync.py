"""Moving tables between the DuckDB build file and the engine the run builds in.

The build file stays the file reader and validator (raw.*, dq.quarantine) and the embedded
copy that is published; these two steps bracket dbt when QUOTA_DBT_TARGET is postgres or
spark (their ``ship_raw`` and ``copy_models_back``); DuckDB builds in the file itself.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa

from quota_pipeline.warehouse.base import TableEngine, validate_name
from quota_pipeline.warehouse.duckdb_files import connect

SHIPPED_SCHEMAS = ("raw", "dq")
# The dbt tables the risk step reads plus the contract's marts: copied back into the build
# file so the published DuckDB file (and the checks that read it) stays complete.
MODEL_TABLES = (
    "marts.account_target_distribution",
    "marts.seller_target_rollup",
    "marts.territory_rollup",
    "marts.account_target_allocation",
    "marts.territory_allocation",
    "intermediate.int_territory_closure",
)


def build_file_tables(build_file: Path) -> dict[str, pa.Table]:
    """raw.* and dq.* of the build file as Arrow, ready for ``TableEngine.load_raw``."""
    tables: dict[str, pa.Table] = {}
    with connect(build_file, read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (?, ?) and table_type = 'BASE TABLE' order by 1, 2",
            list(SHIPPED_SCHEMAS),
        ).fetchall()
        for schema, table in names:
            name = f"{schema}.{table}"
            validate_name(name)
            tables[name] = con.sql(f"select * from {name}").to_arrow_table()
    return tables


def ship_raw(engine: TableEngine, build_file: Path) -> int:
    """Copy raw.* and dq.* into the engine; returns the number of tables shipped."""
    tables = build_file_tables(build_file)
    engine.load_raw(tables)
    return len(tables)


def write_build_table(build_file: Path, name: str, frame: pl.DataFrame) -> None:
    """Replace ``name`` in the build file with ``frame`` (Arrow zero-copy into DuckDB)."""
    schema, _table = validate_name(name)
    with connect(build_file) as con:
        con.execute(f"create schema if not exists {schema}")
        con.register("engine_frame", frame.to_arrow())
        try:
            con.execute(f"create or replace table {name} as select * from engine_frame")
        finally:
            con.unregister("engine_frame")


def copy_models_back(engine: TableEngine, build_file: Path) -> None:
    """The engine's marts (and the closure) into the build file: the embedded copy."""
    for name, frame in engine.read_tables(MODEL_TABLES).items():
        write_build_table(build_file, name, frame)
