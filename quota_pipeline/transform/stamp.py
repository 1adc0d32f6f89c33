"""The dbt build stamp: which compiled SQL built a warehouse's models, kept in the warehouse.

A scenario (quota_pipeline/scenarios/) keeps a published table instead of recomputing it
only when that table is exactly what the scenario's own SQL would build from the same rows
(docs/contract.md section 6). The SQL dbt compiles for every model is a function of the
dbt project's files, the --vars from the policy, dbt's and dbt-duckdb's versions and the
catalog name; their digest is recorded by a complete nightly DuckDB build in
``meta.dbt_build`` and compared by the scenario with its own. Any difference (an edited
model or macro, a changed policy, another dbt version, another engine) means no reuse.
The ``meta`` schema is bookkeeping, not one of the contract's schemas.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import duckdb

from quota_pipeline.policy import Policy
from quota_pipeline.settings import DBT_PROJECT_DIR

PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "packages.yml", "models", "macros")
STAMP_TABLE = "meta.dbt_build"


def dbt_build_digest(policy: Policy, catalog: str) -> str:
    """SHA-256 of what the compiled SQL depends on: project files, vars, versions, catalog."""
    digest = hashlib.sha256()
    for part in PROJECT_PARTS:
        root = DBT_PROJECT_DIR / part
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
                digest.update(path.read_bytes())
    digest.update(json.dumps(policy.dbt_vars(), sort_keys=True).encode())
    for package in ("dbt-core", "dbt-duckdb"):
        digest.update(f"{package}={version(package)}".encode())
    digest.update(f"catalog={catalog}".encode())
    return digest.hexdigest()


def write_stamp(con: duckdb.DuckDBPyConnection, digest: str | None) -> None:
    """Record ``digest`` as the build's stamp; None removes any stamp (no proof to give)."""
    if digest is None:
        con.execute(f"drop table if exists {STAMP_TABLE}")
        return
    con.execute("create schema if not exists meta")
    con.execute(
        f"create or replace table {STAMP_TABLE} as select $digest as dbt_build_digest",
        {"digest": digest},
    )


def record_stamp(build_file: Path, digest: str | None) -> None:
    """``write_stamp`` on a file no other connection of this process has open."""
    with duckdb.connect(str(build_file)) as con:
        write_stamp(con, digest)


def read_stamp(con: duckdb.DuckDBPyConnection) -> str | None:
    """The stamp of the warehouse open in ``con``; None when it has none."""
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'meta' and table_name = 'dbt_build'"
    ).fetchall()[0][0]
    if not found:
        return None
    rows = con.execute(f"select dbt_build_digest from {STAMP_TABLE}").fetchall()
    return rows[0][0] if len(rows) == 1 else None
