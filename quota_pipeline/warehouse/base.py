"""What the pipeline asks of a warehouse engine: the `Warehouse` protocol the assets use.

It exists so that the assets never branch on the engine. DuckDB in one file is the
embedded default (duckdb.py) and stays the file reader and validator: ingest always writes
raw.* and dq.quarantine into the run's DuckDB build file. When ``QUOTA_DBT_TARGET`` names
another dbt target (postgres.py, spark.py), that engine gets a copy of those tables before
dbt runs, dbt builds the models there, the Polars risk step reads the marts from and writes
the risk tables to that engine, and the build file gets the models back as its embedded
copy. ``engines.active_warehouse`` picks the implementation.

Also here: what the PostgreSQL and Spark engines share (`TableEngine`, the table moves
sync.py makes between them and the build file; identifier checks; Arrow for drivers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl
import pyarrow as pa

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Warehouse(Protocol):
    """The warehouse engine of a run, as the transform, risk and publish assets use it."""

    name: str
    # True when dbt builds the models in the run's DuckDB build file itself (DuckDB): only
    # then can a complete build be stamped as the scenarios' proof (transform/stamp.py).
    builds_in_build_file: bool

    def start_run(self, run_id: str) -> None:
        """Before dbt: drop what a failed run left, stamp this run's build."""
        ...

    def ship_raw(self, build_file: Path) -> int:
        """Copy raw.* and dq.* of the build file to where dbt builds; the tables shipped."""
        ...

    def build_vars(self) -> dict[str, str]:
        """dbt vars the run's ``dbt build`` needs on this engine (the schema suffix)."""
        ...

    def copy_models_back(self, build_file: Path) -> None:
        """After a passing dbt build: the engine's marts into the build file (embedded copy)."""
        ...

    def read_model(self, build: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
        """A whole (small, aggregated) table dbt built, from where it built it.

        ``build`` is the run's build file, open: DuckDB reads there, other engines ignore it.
        """
        ...

    def write_table(self, name: str, frame: pl.DataFrame) -> None:
        """The engine's copy of a table the run computed; the caller writes the build file."""
        ...

    def publish(self, run_id: str) -> bool:
        """Make this run's tables the ones the engine's readers see; True when it did
        something of its own (DuckDB: False, the publish step's file rename is the publish)."""
        ...


class TableEngine(Protocol):
    """An engine other than the build file, as sync.py moves tables in and out of it."""

    name: str

    def load_raw(self, tables: Mapping[str, pa.Table]) -> None:
        """Replace each ``schema.table`` with its Arrow table (raw.* and dq.quarantine)."""
        ...

    def read_table(self, name: str) -> pl.DataFrame:
        """A whole table as a Polars frame, with the same dtypes DuckDB would give."""
        ...

    def read_tables(self, names: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Several tables at once (one Spark job instead of one per table)."""
        ...

    def write_table(self, name: str, frame: pl.DataFrame) -> None:
        """Replace ``name`` with ``frame``."""
        ...


def validate_name(name: str) -> tuple[str, str]:
    """``schema.table`` split and checked: identifiers are never bound, so they are vetted."""
    parts = name.split(".")
    if len(parts) != 2 or not all(IDENTIFIER.match(part) for part in parts):
        raise ValueError(f"{name!r}: expected schema.table in lowercase letters, digits, _")
    return parts[0], parts[1]


def plain_arrow(frame: pl.DataFrame) -> pa.Table:
    """Arrow with plain (not view) strings: the types every reader and driver accepts."""
    table = frame.to_arrow()
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_string_view(kind) or pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_large_list(kind) or pa.types.is_list_view(kind):
            kind = pa.list_(pa.string()) if _is_text_list(kind) else pa.list_(kind.value_type)
        elif pa.types.is_list(kind) and _is_text_list(kind):
            kind = pa.list_(pa.string())
        fields.append(pa.field(field.name, kind, field.nullable))
    return table.cast(pa.schema(fields))


def _is_text_list(kind: pa.DataType) -> bool:
    value = kind.value_type
    return (
        pa.types.is_string(value)
        or pa.types.is_large_string(value)
        or pa.types.is_string_view(value)
    )
