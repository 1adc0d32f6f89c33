"""The PostgreSQL warehouse engine: ADBC in and out, and a run published in one transaction.

Readers of PostgreSQL see one run at a time (docs/contract.md section 4 promises it for the
DuckDB file): the run builds into ``<schema>__next`` schemas (``start_run``), and
``publish`` renames all of them into place in one transaction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

import duckdb
import polars as pl
import pyarrow as pa

from quota_pipeline.warehouse.base import IDENTIFIER, plain_arrow, validate_name
from quota_pipeline.warehouse.sync import copy_models_back, ship_raw

if TYPE_CHECKING:
    from adbc_driver_manager.dbapi import Cursor

# The schemas a run builds in the engine and publishes together.
ENGINE_SCHEMAS = ("raw", "dq", "staging", "intermediate", "marts", "risk")
# A run builds into <schema>__next; publish swaps them in through <schema>__old.
BUILD_SUFFIX = "__next"
OLD_SUFFIX = "__old"
# Each built schema carries the id of the run that built it; the marker lists every publish.
RUN_STAMP_TABLE = "run_stamp"
PUBLISH_MARKER = "ops_publish.published_run"


def postgres_params() -> dict[str, str]:
    """Connection parts from QUOTA_PG_DSN, else QUOTA_PG_HOST/PORT/USER/PASSWORD/DATABASE.

    dbt-postgres takes the parts, ADBC takes a URI: both are derived from here so the two
    always point at the same database.
    """
    dsn = os.environ.get("QUOTA_PG_DSN")
    if dsn:
        parts = urlsplit(dsn)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("QUOTA_PG_DSN: expected postgresql://user[:password]@host:port/db")
        return {
            "host": parts.hostname or "127.0.0.1",
            "port": str(parts.port or 5432),
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "database": parts.path.lstrip("/") or "quota",
        }
    return {
        "host": os.environ.get("QUOTA_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("QUOTA_PG_PORT", "5432"),
        "user": os.environ.get("QUOTA_PG_USER", "quota"),
        "password": os.environ.get("QUOTA_PG_PASSWORD", ""),
        "database": os.environ.get("QUOTA_PG_DATABASE", "quota"),
    }


def postgres_dbt_environment() -> dict[str, str]:
    """The QUOTA_PG_* variables dbt's profile reads, derived from the one connection setting."""
    params = postgres_params()
    return {f"QUOTA_PG_{key.upper()}": value for key, value in params.items()}


def _postgres_uri(params: Mapping[str, str]) -> str:
    credentials = quote(params["user"], safe="")
    if params["password"]:
        credentials += ":" + quote(params["password"], safe="")
    return (
        f"postgresql://{credentials}@{params['host']}:{params['port']}/"
        f"{quote(params['database'], safe='')}"
    )


def _numeric_dtype(field: pa.Field) -> pl.DataType | None:
    """numeric(p, s) from the ADBC field metadata (its typmod), None when unconstrained."""
    metadata = field.metadata or {}
    typmod = int(metadata.get(b"POSTGRESQL:typmod", b"-1"))
    if typmod < 4:
        return None
    typmod -= 4
    return pl.Decimal(typmod >> 16, typmod & 0xFFFF)


def _suffixed(name: str, suffix: str) -> tuple[str, str]:
    """``schema.table`` with the suffix on the schema, vetted again as a whole."""
    schema, table = validate_name(name)
    return validate_name(f"{schema}{suffix}.{table}")


@dataclass
class PostgresWarehouse:
    """PostgreSQL through ADBC: Arrow in by COPY (adbc_ingest), Arrow out, no row loops.

    ``suffix`` is appended to every schema it reads and writes: "" reads the published
    tables, ``BUILD_SUFFIX`` is the run's own build (see :meth:`building`).
    """

    uri: str
    suffix: str = ""
    name: str = "postgres"
    builds_in_build_file: bool = False

    @classmethod
    def from_env(cls) -> PostgresWarehouse:
        """The published schemas of QUOTA_PG_DSN (what analysts read)."""
        return cls(uri=_postgres_uri(postgres_params()))

    def building(self) -> PostgresWarehouse:
        """The same database, reading and writing the run's ``<schema>__next`` schemas."""
        return replace(self, suffix=BUILD_SUFFIX)

    def build_vars(self) -> dict[str, str]:
        """generate_schema_name and the raw source append this suffix on PostgreSQL."""
        return {"quota_schema_suffix": BUILD_SUFFIX}

    def start_run(self, run_id: str) -> None:
        """Drop a failed run's leftover schemas; create this run's, stamped with its id."""
        with self._connect() as con, con.cursor() as cur:
            for schema in ENGINE_SCHEMAS:
                built = _schema_name(schema + BUILD_SUFFIX)
                cur.execute(f"drop schema if exists {built} cascade")
                cur.execute(f"drop schema if exists {_schema_name(schema + OLD_SUFFIX)} cascade")
                cur.execute(f"create schema {built}")
                cur.execute(
                    f"create table {built}.{RUN_STAMP_TABLE} (run_id text not null, "
                    "built_at timestamptz not null default now())"
                )
                cur.execute(
                    f"insert into {built}.{RUN_STAMP_TABLE} (run_id) values ($1)",
                    parameters=(run_id,),
                )
            con.commit()

    def ship_raw(self, build_file: Path) -> int:
        return ship_raw(self, build_file)

    def copy_models_back(self, build_file: Path) -> None:
        copy_models_back(self, build_file)

    def read_model(self, build: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
        """The table from the run's ``__next`` schemas (``build`` is not read)."""
        return self.read_table(name)

    def publish(self, run_id: str) -> bool:
        """Swap every ``__next`` schema into place and record the run, in ONE transaction.

        Views (staging, intermediate) bind to tables by OID, so they follow the renames.
        Refused, with nothing changed, unless every built schema carries ``run_id``. The
        drop of the old schemas waits for readers still inside a query on them.
        """
        with self._connect() as con, con.cursor() as cur:
            stamps = _build_stamps(cur)
            wrong = [schema for schema in ENGINE_SCHEMAS if stamps.get(schema) != run_id]
            if wrong:
                raise RuntimeError(
                    f"not published: {', '.join(s + BUILD_SUFFIX for s in wrong)} "
                    f"missing or built by another run (expected run {run_id})"
                )
            published = _existing_schemas(cur)
            for schema in ENGINE_SCHEMAS:
                _swap_schema(cur, schema, schema in published)
            _record_publish(cur, run_id)
            con.commit()
        return True

    def _connect(self) -> object:
        import adbc_driver_postgresql.dbapi as adbc_pg

        return adbc_pg.connect(self.uri)

    def load_raw(self, tables: Mapping[str, pa.Table]) -> None:
        with self._connect() as con, con.cursor() as cur:
            for name, table in tables.items():
                schema, table_name = _suffixed(name, self.suffix)
                cur.execute(f"create schema if not exists {schema}")
                # cascade: last night's staging views depend on raw.*; dbt rebuilds them
                cur.execute(f"drop table if exists {schema}.{table_name} cascade")
                cur.adbc_ingest(table_name, table, mode="create", db_schema_name=schema)
            con.commit()

    def read_table(self, name: str) -> pl.DataFrame:
        schema, table_name = _suffixed(name, self.suffix)
        with self._connect() as con, con.cursor() as cur:
            cur.execute(f"select * from {schema}.{table_name}")
            arrow = cur.fetch_arrow_table()
        columns: list[pl.Series] = []
        for field, column in zip(arrow.schema, arrow.columns, strict=True):
            if isinstance(field.type, pa.ExtensionType) or str(field.type).startswith(
                "extension<arrow.opaque"
            ):
                # numeric arrives as text (exact); give it back its declared decimal type
                text = pl.Series(field.name, column.cast(pa.string()))
                dtype = _numeric_dtype(field)
                columns.append(text.cast(dtype) if dtype else text.str.to_decimal())
            else:
                columns.append(pl.Series(field.name, pa.chunked_array(column)))
        return pl.DataFrame(columns)

    def read_tables(self, names: Sequence[str]) -> dict[str, pl.DataFrame]:
        return {name: self.read_table(name) for name in names}

    def write_table(self, name: str, frame: pl.DataFrame) -> None:
        """Declared column types first (ADBC would make every decimal a bare numeric)."""
        schema, table_name = _suffixed(name, self.suffix)
        columns = ", ".join(
            f"{_column(column)} {_postgres_type(dtype)}" for column, dtype in frame.schema.items()
        )
        with self._connect() as con, con.cursor() as cur:
            cur.execute(f"create schema if not exists {schema}")
            cur.execute(f"drop table if exists {schema}.{table_name} cascade")
            cur.execute(f"create table {schema}.{table_name} ({columns})")
            cur.adbc_ingest(table_name, plain_arrow(frame), mode="append", db_schema_name=schema)
            con.commit()


def _schema_name(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r}: not a plain lowercase schema name")
    return name


def _existing_schemas(cur: Cursor) -> set[str]:
    cur.execute("select nspname from pg_namespace")
    return {row[0] for row in cur.fetchall()}


def _build_stamps(cur: Cursor) -> dict[str, str]:
    """schema -> the run id stamped in its ``__next`` schema, for those that have one."""
    cur.execute(
        "select table_schema from information_schema.tables where table_name = $1",
        parameters=(RUN_STAMP_TABLE,),
    )
    built = {row[0] for row in cur.fetchall()}
    stamps: dict[str, str] = {}
    for schema in ENGINE_SCHEMAS:
        name = _schema_name(schema + BUILD_SUFFIX)
        if name in built:
            cur.execute(f"select max(run_id) from {name}.{RUN_STAMP_TABLE}")
            stamps[schema] = cur.fetchone()[0]
    return stamps


def _swap_schema(cur: Cursor, schema: str, published: bool) -> None:
    """``schema__next`` becomes ``schema``; the previous one is dropped (same transaction)."""
    current = _schema_name(schema)
    old = _schema_name(schema + OLD_SUFFIX)
    if published:
        cur.execute(f"alter schema {current} rename to {old}")
    cur.execute(f"alter schema {_schema_name(schema + BUILD_SUFFIX)} rename to {current}")
    if published:
        cur.execute(f"drop schema {old} cascade")


def _record_publish(cur: Cursor, run_id: str) -> None:
    """One row per publish in the marker table analysts query for the published run."""
    schema, _table = validate_name(PUBLISH_MARKER)
    cur.execute(f"create schema if not exists {schema}")
    cur.execute(
        f"create table if not exists {PUBLISH_MARKER} (run_id text primary key, "
        "published_at timestamptz not null default now())"
    )
    cur.execute(f"insert into {PUBLISH_MARKER} (run_id) values ($1)", parameters=(run_id,))


def _column(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r}: not a plain lowercase column name")
    return name


def _postgres_type(dtype: pl.DataType) -> str:
    """The PostgreSQL type DuckDB's reading of the same frame would have."""
    if isinstance(dtype, pl.Decimal):
        return f"numeric({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.List):
        return _postgres_type(dtype.inner) + "[]"
    if isinstance(dtype, pl.Datetime):
        return "timestamp" if dtype.time_zone is None else "timestamptz"
    simple = {
        pl.String: "text",
        pl.Int64: "bigint",
        pl.Int32: "integer",
        pl.Int16: "smallint",
        pl.Float64: "double precision",
        pl.Float32: "real",
        pl.Boolean: "boolean",
        pl.Date: "date",
    }
    for polars_type, postgres_type in simple.items():
        if dtype == polars_type:
            return postgres_type
    raise TypeError(f"no PostgreSQL type for Polars {dtype}")
