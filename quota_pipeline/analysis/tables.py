"""Which tables the published warehouse holds, how many rows, and what they mean.

Descriptions come from the dbt project (models' YAML, and sources YAML for the raw, dq and
risk tables) through dbt's manifest. DuckDB's COMMENT ON takes no bind parameters, so
the run writes them, with bind parameters, into two small tables of the warehouse itself
(docs.table_descriptions, docs.column_descriptions): the published file describes itself,
with no dbt project needed by whoever reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

DOCS_SCHEMA = "docs"
SELF_DESCRIPTIONS = {
    "table_descriptions": "What each published table means, from the dbt project's YAML.",
    "column_descriptions": "What each column of each published table means, from the dbt project's YAML.",
}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Description:
    """What one table (column is None) or one column means."""

    schema: str
    table: str
    column: str | None
    text: str


@dataclass(frozen=True)
class TableInfo:
    schema: str
    table: str
    kind: str  # table or view
    rows: int | None
    description: str


def quote_identifier(name: str) -> str:
    """A schema, table or column name, validated then double-quoted for SQL."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier")
    return f'"{name}"'


def descriptions_from_manifest(manifest: Mapping[str, Any]) -> list[Description]:
    """Table and column descriptions of every dbt model and source in a manifest."""
    found: list[Description] = []
    nodes = [n for n in manifest.get("nodes", {}).values() if n.get("resource_type") == "model"]
    for node in [*nodes, *manifest.get("sources", {}).values()]:
        schema = node.get("schema") or ""
        table = node.get("alias") or node.get("identifier") or node.get("name") or ""
        if not schema or not table:
            continue
        text = " ".join((node.get("description") or "").split())
        if text:
            found.append(Description(schema, table, None, text))
        for column in (node.get("columns") or {}).values():
            column_text = " ".join((column.get("description") or "").split())
            if column_text:
                found.append(Description(schema, table, column["name"], column_text))
    return found


def write_descriptions(con: duckdb.DuckDBPyConnection, descriptions: Iterable[Description]) -> int:
    """Replace docs.table_descriptions and docs.column_descriptions in a build file."""
    items = list(descriptions)
    con.execute(f"create schema if not exists {DOCS_SCHEMA}")
    con.execute(
        "create or replace table docs.table_descriptions "
        "(table_schema varchar, table_name varchar, description varchar)"
    )
    con.execute(
        "create or replace table docs.column_descriptions "
        "(table_schema varchar, table_name varchar, column_name varchar, description varchar)"
    )
    tables = [(d.schema, d.table, d.text) for d in items if d.column is None]
    columns = [(d.schema, d.table, d.column, d.text) for d in items if d.column is not None]
    if tables:
        con.executemany("insert into docs.table_descriptions values (?, ?, ?)", tables)
    if columns:
        con.executemany("insert into docs.column_descriptions values (?, ?, ?, ?)", columns)
    con.executemany(
        "insert into docs.table_descriptions values (?, ?, ?)",
        [(DOCS_SCHEMA, name, text) for name, text in SELF_DESCRIPTIONS.items()],
    )
    return len(items)


def list_tables(con: duckdb.DuckDBPyConnection, *, count_views: bool = False) -> list[TableInfo]:
    """Every user table and view with its row count (tables; views when asked) and description."""
    described = _table_descriptions(con)
    objects = con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() "
        "where not internal and database_name = current_database() "
        "union all select schema_name, view_name, 'view' from duckdb_views() "
        "where not internal and database_name = current_database() "
        "order by 1, 2"
    ).fetchall()
    listed = []
    for schema, table, kind in objects:
        rows = None
        if kind == "table" or count_views:
            rows = _count(con, schema, table)
        listed.append(TableInfo(schema, table, kind, rows, described.get((schema, table), "")))
    return listed


def _count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    query = f"select count(*) from {quote_identifier(schema)}.{quote_identifier(table)}"
    return int(con.execute(query).fetchall()[0][0])


def _table_descriptions(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    present = con.execute(
        "select count(*) from duckdb_tables() where schema_name = $schema "
        "and table_name = 'table_descriptions' and database_name = current_database()",
        {"schema": DOCS_SCHEMA},
    ).fetchall()[0][0]
    if not present:
        return {}
    rows = con.execute(
        "select table_schema, table_name, description from docs.table_descriptions"
    ).fetchall()
    return {(schema, table): text for schema, table, text in rows}
