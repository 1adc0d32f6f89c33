"""The warehouse engines the pipeline can build into, behind one small interface.

DuckDB in one file is the embedded default and stays the file reader and validator: ingest
always writes raw.* and dq.quarantine into the run's DuckDB build file. When
``QUOTA_DBT_TARGET`` names another dbt target (``postgres``, ``spark``), that engine gets a
copy of those tables before dbt runs, dbt builds the models there, and the Polars risk step
reads the marts from and writes the risk tables to that engine. Every engine does the same
few things, so the assets never branch on the engine beyond asking for one:

- ``start_run(run_id)``, ``build_vars()``: prepare the run's build and tell dbt where it is;
- ``load_raw(tables)``: replace ``<schema>.<table>`` with each Arrow table;
- ``read_table(name)``: a whole (small, aggregated) table as a Polars frame;
- ``write_table(name, frame)``: replace ``name`` with a Polars frame;
- ``publish(run_id)``: make the run's tables the ones readers see.

For DuckDB :func:`active_engine` returns ``None`` and the callers keep their own code path,
so the default run does not change and does not get slower.

Readers of PostgreSQL see one run at a time (docs/contract.md section 4 promises it for the
DuckDB file): the run builds into ``<schema>__next`` schemas (``start_run``), and
``publish`` renames all of them into place in one transaction. Spark has no transaction
over several tables; what its readers see is in docs/deployment.md section 3.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, unquote, urlsplit

import polars as pl
import pyarrow as pa

if TYPE_CHECKING:
    from adbc_driver_manager.dbapi import Cursor

TARGET_VARIABLE = "QUOTA_DBT_TARGET"
TARGETS = ("duckdb", "postgres", "spark")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The schemas a run builds in the engine and publishes together.
ENGINE_SCHEMAS = ("raw", "dq", "staging", "intermediate", "marts", "risk")
# PostgreSQL: a run builds into <schema>__next; publish swaps them in through <schema>__old.
BUILD_SUFFIX = "__next"
OLD_SUFFIX = "__old"
# Each built schema carries the id of the run that built it; the marker lists every publish.
RUN_STAMP_TABLE = "run_stamp"
PUBLISH_MARKER = "ops_publish.published_run"


def validate_name(name: str) -> tuple[str, str]:
    """``schema.table`` split and checked: identifiers are never bound, so they are vetted."""
    parts = name.split(".")
    if len(parts) != 2 or not all(IDENTIFIER.match(part) for part in parts):
        raise ValueError(f"{name!r}: expected schema.table in lowercase letters, digits, _")
    return parts[0], parts[1]


def current_target() -> str:
    """The dbt target of this process (QUOTA_DBT_TARGET, default duckdb), validated."""
    target = os.environ.get(TARGET_VARIABLE) or "duckdb"
    if target not in TARGETS:
        raise ValueError(f"{TARGET_VARIABLE}={target!r}: expected one of {', '.join(TARGETS)}")
    return target


class Warehouse(Protocol):
    """What the pipeline asks of a warehouse engine other than the embedded DuckDB file."""

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

    def build_vars(self) -> dict[str, str]:
        """dbt vars the run's ``dbt build`` needs on this engine (the schema suffix)."""
        ...

    def start_run(self, run_id: str) -> None:
        """Before shipping raw.*: drop what a failed run left, stamp this run's build."""
        ...

    def publish(self, run_id: str) -> None:
        """Make this run's tables the ones readers see (PostgreSQL: one transaction)."""
        ...


# ---------------------------------------------------------------------------- PostgreSQL


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

    def publish(self, run_id: str) -> None:
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
            cur.adbc_ingest(table_name, _plain_arrow(frame), mode="append", db_schema_name=schema)
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


def _plain_arrow(frame: pl.DataFrame) -> pa.Table:
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


# --------------------------------------------------------------------------------- Spark


def spark_home() -> Path:
    """QUOTA_SPARK_WAREHOUSE: the folder holding the Spark warehouse and its metastore."""
    value = os.environ.get("QUOTA_SPARK_WAREHOUSE")
    if not value:
        raise ValueError("QUOTA_DBT_TARGET=spark needs QUOTA_SPARK_WAREHOUSE (a folder)")
    return Path(value).expanduser().resolve()


@dataclass
class SparkWarehouse:
    """A local Spark (the stand-in for a cluster) with a Derby metastore in a folder.

    Every operation runs in a short-lived child process (spark_job.py): the embedded Derby
    metastore admits one JVM at a time, and dbt's own Spark session (another process)
    must be able to open it right after. Data crosses as Parquet, Spark's own format.
    """

    home: Path
    name: str = "spark"

    @classmethod
    def from_env(cls) -> SparkWarehouse:
        return cls(home=spark_home())

    def build_vars(self) -> dict[str, str]:
        """Spark builds in the published schemas: no suffix."""
        return {}

    def start_run(self, run_id: str) -> None:
        """Nothing to prepare: Spark replaces tables in place (docs/deployment.md 3)."""

    def publish(self, run_id: str) -> None:
        """Nothing to swap: each table was replaced when its step wrote it."""

    def _job(self, *arguments: str) -> None:
        env = {**os.environ, "QUOTA_SPARK_WAREHOUSE": str(self.home)}
        command = [sys.executable, "-m", "quota_pipeline.warehouse.spark_job", *arguments]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout)[-4000:]
            raise RuntimeError(f"spark job {arguments[0]} failed ({result.returncode}):\n{tail}")

    def load_raw(self, tables: Mapping[str, pa.Table]) -> None:
        import pyarrow.parquet as pq  # here, not at import: the DuckDB path never needs it

        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.home, prefix="load-") as folder:
            for name, table in tables.items():
                validate_name(name)
                pq.write_table(table, Path(folder) / f"{name}.parquet")
            self._job("load", folder)

    def read_table(self, name: str) -> pl.DataFrame:
        return self.read_tables([name])[name]

    def read_tables(self, names: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Managed Parquet tables straight from their folders; others through Spark.

        The marts and risk tables are managed Parquet tables (dbt_project.yml sets
        file_format parquet for Spark; write_table saves Parquet), stored by Spark at
        <warehouse>/<schema>.db/<table>: reading those files needs no JVM, which saves
        a Spark start (tens of seconds) per read. Anything else goes through a Spark job.
        """
        frames: dict[str, pl.DataFrame] = {}
        through_spark: list[str] = []
        for name in names:
            schema, table = validate_name(name)
            folder = self.home / "warehouse" / f"{schema}.db" / table
            if (folder / "_SUCCESS").exists() and any(folder.glob("*.parquet")):
                frames[name] = pl.read_parquet(folder / "*.parquet")
            else:
                through_spark.append(name)
        if through_spark:
            self.home.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.home, prefix="read-") as folder:
                arguments: list[str] = []
                for name in through_spark:
                    arguments += [name, str(Path(folder) / name)]
                self._job("read", *arguments)
                for name in through_spark:
                    frames[name] = pl.read_parquet(Path(folder) / name / "*.parquet")
        return {name: frames[name] for name in names}

    def write_table(self, name: str, frame: pl.DataFrame) -> None:
        import pyarrow.parquet as pq

        validate_name(name)
        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.home, prefix="write-") as folder:
            path = Path(folder) / f"{name}.parquet"
            pq.write_table(_plain_arrow(frame), path)
            self._job("write", name, str(path))


# ------------------------------------------------------------------------------ selection


def active_engine() -> Warehouse | None:
    """The engine of QUOTA_DBT_TARGET as the run sees it, or None for the DuckDB build file.

    On PostgreSQL that is the run's ``__next`` schemas; readers use ``from_env()``.
    """
    target = current_target()
    if target == "postgres":
        return PostgresWarehouse.from_env().building()
    if target == "spark":
        return SparkWarehouse.from_env()
    return None


def engine_dbt_environment() -> dict[str, str]:
    """Extra variables dbt's profile needs for the active target (none for DuckDB)."""
    target = current_target()
    if target == "postgres":
        return postgres_dbt_environment()
    if target == "spark":
        return {"QUOTA_SPARK_WAREHOUSE": str(spark_home())}
    return {}
