"""The SQLAlchemy dialect GX validates DuckDB tables through, so no table becomes a pandas copy.

GX Core 1.24 has no DuckDB dialect of its own. Through duckdb_engine 0.17 on DuckDB 2.0 its
SQL engine fails in two ways, and this dialect mends exactly those two:

- GX hands each pooled connection back before it fetches the rows of its metric query.
  SQLAlchemy then rolls that connection's transaction back, and a DuckDB rollback drops the
  pending result: every metric sees no row ("list index out of range",
  great_expectations issue 11579). Validation only reads, so here every statement runs in
  DuckDB's autocommit mode: begin, commit and rollback do nothing.
- Column reflection runs PostgreSQL catalog queries that DuckDB 2.0 cannot answer, so GX
  sees columns without types and type expectations crash. Here columns come from DuckDB's
  information_schema, typed with SQLAlchemy's generic types (what GX compares against when a
  dialect has no type module of its own).

Registered as ``duckdb+quota_validation``; ``dialect.name`` stays ``duckdb``. GX does not
open a database of its own: ``shared_catalog`` lends it the pipeline's DuckDB connection,
and each connection GX makes is a cursor of it whose default catalog is the one holding
the suite's rows (an in-memory catalog attached for one validation). So the rows are never
written to a file, and memory stays under the one limit of the pipeline's DuckDB. GX keeps
its engine for as long as the datasource lives; every validation lends under a new name, so
GX builds a new engine for it, and the cursors are closed when the loan ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import registry

DRIVER = "quota_validation"
registry.register(f"duckdb.{DRIVER}", __name__, "ValidationDialect")

# DuckDB type names (information_schema.columns.data_type, up to "(") -> generic types.
_GENERIC_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "VARCHAR": sa.String,
    "DOUBLE": sa.Double,
    "FLOAT": sa.Float,
    "DECIMAL": sa.Numeric,
    "BIGINT": sa.BigInteger,
    "INTEGER": sa.Integer,
    "SMALLINT": sa.SmallInteger,
    "HUGEINT": sa.BigInteger,
    "DATE": sa.Date,
    "TIMESTAMP": sa.DateTime,
    "TIMESTAMP WITH TIME ZONE": sa.DateTime,
    "BOOLEAN": sa.Boolean,
}
_COLUMNS = sa.text(
    "select column_name, data_type, is_nullable from information_schema.columns "
    "where table_catalog = current_database() and table_schema = :schema "
    "and table_name = :table order by ordinal_position"
)


def generic_type(duckdb_type: str) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy generic type of a DuckDB column type (NullType when there is none)."""
    return _GENERIC_TYPES.get(duckdb_type.split("(")[0].strip().upper(), sa.types.NullType)()


# Lent connections by URL database name: the pipeline's connection and the catalog GX reads.
_lent: dict[str, tuple[duckdb.DuckDBPyConnection, str]] = {}
_opened: list[Any] = []


@contextmanager
def shared_catalog(con: duckdb.DuckDBPyConnection, catalog: str) -> Iterator[str]:
    """A URL for GX whose connections are cursors of ``con`` reading ``catalog``.

    When the block ends, every cursor GX opened is closed (GX itself never closes them).
    """
    name = f"lent-{uuid.uuid4().hex}"
    _lent[name] = (con, catalog)
    try:
        yield f"duckdb+{DRIVER}:///{name}"
    finally:
        del _lent[name]
        while _opened:
            _opened.pop().close()


class ValidationDialect(DuckDBDialect):
    """duckdb_engine on a lent connection: autocommit, columns typed from DuckDB."""

    supports_statement_cache = False

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        lent = _lent.get(cparams.get("database", ""))
        if lent is None:
            raise ValueError(f"{cparams.get('database')!r} is not a lent DuckDB connection")
        con, catalog = lent
        cursor = con.cursor()
        cursor.execute(f'use "{catalog}"')
        connection = ConnectionWrapper(cursor)
        _opened.append(connection)
        return connection

    def do_begin(self, dbapi_connection: Any) -> None:
        """Autocommit: no transaction, so nothing rolls a pending result away."""

    def do_commit(self, dbapi_connection: Any) -> None:
        """Nothing to commit: validation only reads."""

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Nothing to roll back, and a DuckDB rollback would drop the unfetched result."""

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        rows = connection.execute(_COLUMNS, {"schema": schema or "main", "table": table_name})
        return [
            {
                "name": name,
                "type": generic_type(data_type),
                "nullable": nullable == "YES",
                "default": None,
            }
            for name, data_type, nullable in rows
        ]
