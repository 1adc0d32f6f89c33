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

Registered as ``duckdb+quota_validation``; ``dialect.name`` stays ``duckdb``. GX keeps its
engine (and the DuckDB file open) for as long as the datasource lives, which would lock the
file; ``close_connections`` closes what this dialect opened, and each validation connects
to a new file so GX builds a new engine for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
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
    "where table_schema = :schema and table_name = :table order by ordinal_position"
)


def generic_type(duckdb_type: str) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy generic type of a DuckDB column type (NullType when there is none)."""
    return _GENERIC_TYPES.get(duckdb_type.split("(")[0].strip().upper(), sa.types.NullType)()


_opened: list[Any] = []


def close_connections() -> None:
    """Close every DuckDB connection GX opened through this dialect (it never does)."""
    while _opened:
        _opened.pop().close()


class ValidationDialect(DuckDBDialect):
    """duckdb_engine for read-only validation: autocommit, columns typed from DuckDB."""

    supports_statement_cache = False

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        connection = super().connect(*cargs, **cparams)
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


def validation_url(database: Path) -> str:
    """The SQLAlchemy URL GX connects to ``database`` with."""
    return f"duckdb+{DRIVER}:///{database.resolve()}"
