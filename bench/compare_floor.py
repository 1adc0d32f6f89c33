"""Check that the floor computes the pipeline's tables: row by row, column by column.

The benchmark's ratio pipeline / floor is only honest while the floor does the same work.
This compares every table of bench/floor_runner.py's database with the same table of a
warehouse the pipeline published from the same extracts and policy: row counts, the sum
of every DECIMAL and integer column (exact), and a full outer join on the table's key in
which every column must agree. Text, lists, booleans, integers and decimals must be
equal; doubles within a relative 1e-9, because a sum of doubles (target_spread_squared
and what is computed from it) depends on the order DuckDB's parallel aggregation adds in.

Usage: python bench/compare_floor.py FLOOR_DB WAREHOUSE
Exit 0 when every table agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# The key of each table bench/floor_runner.py builds (its OUTPUT_TABLES, in that order).
KEYS: dict[str, tuple[str, ...]] = {
    "marts.account_target_allocation": ("period", "account_id"),
    "marts.territory_allocation": ("period", "territory_id"),
    "marts.account_target_distribution": ("period", "account_id"),
    "marts.seller_target_rollup": ("period", "seller_id"),
    "marts.territory_rollup": ("period", "territory_id"),
    "risk.quota_risk": ("period", "seller_id"),
    "risk.seller_outlook": ("period", "seller_id"),
    "risk.strategic_gaps": ("period", "territory_id"),
    "risk.territory_outlook": ("period", "territory_id"),
}
RELATIVE_TOLERANCE = 1e-9
SUMMED_TYPES = ("DECIMAL", "BIGINT", "INTEGER", "HUGEINT")


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_catalog = ? AND table_schema = ? AND table_name = ?"
        " ORDER BY ordinal_position",
        [catalog, schema, name],
    ).fetchall()
    return dict(rows)


def _agrees(column: str, data_type: str) -> str:
    floor, pipeline = f'f."{column}"', f'p."{column}"'
    if data_type == "DOUBLE":
        return (
            f"(({floor} IS NULL AND {pipeline} IS NULL) OR abs({floor} - {pipeline})"
            f" <= {RELATIVE_TOLERANCE} * greatest(1.0, abs({pipeline})))"
        )
    return f"({floor} IS NOT DISTINCT FROM {pipeline})"


def compare_table(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Printable lines about one table; the first says OK or DIFFERS."""
    floor_columns = _columns(con, "floor", table)
    pipeline_columns = _columns(con, "pipeline", table)
    problems = [
        f"column {name} missing in the floor"
        for name in pipeline_columns.keys() - floor_columns.keys()
    ]
    columns = [name for name in pipeline_columns if name in floor_columns]
    keys = KEYS[table]
    on = " AND ".join(f'f."{key}" = p."{key}"' for key in keys)
    checks = ", ".join(
        f"count(*) FILTER (WHERE NOT {_agrees(name, pipeline_columns[name])})" for name in columns
    )
    row = con.execute(
        f"SELECT count(f.{keys[0]}), count(p.{keys[0]}),"
        f" count(*) FILTER (WHERE f.{keys[0]} IS NULL OR p.{keys[0]} IS NULL), {checks}"
        f" FROM floor.{table} AS f FULL OUTER JOIN pipeline.{table} AS p ON {on}"
    ).fetchone()
    assert row is not None
    floor_rows, pipeline_rows, unmatched, *differing = row
    if floor_rows != pipeline_rows or unmatched:
        problems.append(
            f"rows: floor {floor_rows:,}, pipeline {pipeline_rows:,}, unmatched {unmatched:,}"
        )
    problems += [
        f"column {name}: {count:,} rows differ"
        for name, count in zip(columns, differing, strict=True)
        if count
    ]
    summed = [name for name in columns if pipeline_columns[name].startswith(SUMMED_TYPES)]
    sums = []
    for name in summed:
        floor_sum, pipeline_sum = con.execute(
            f'SELECT (SELECT sum("{name}") FROM floor.{table}),'
            f' (SELECT sum("{name}") FROM pipeline.{table})'
        ).fetchone() or (None, None)
        if floor_sum != pipeline_sum:
            problems.append(f"sum({name}): floor {floor_sum}, pipeline {pipeline_sum}")
        sums.append(f"{name}={pipeline_sum}")
    status = "DIFFERS" if problems else "OK"
    head = f"{status:7} {table}: {pipeline_rows:,} rows, {len(columns)} columns"
    return [head, *(f"        {line}" for line in problems), f"        sums: {', '.join(sums)}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare the floor's tables with the pipeline's.")
    parser.add_argument("floor", type=Path, help="the floor's DuckDB file")
    parser.add_argument("warehouse", type=Path, help="a warehouse the pipeline published")
    arguments = parser.parse_args(argv)
    failed = False
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{arguments.floor}' AS floor (READ_ONLY)")
        con.execute(f"ATTACH '{arguments.warehouse}' AS pipeline (READ_ONLY)")
        for table in KEYS:
            lines = compare_table(con, table)
            failed = failed or lines[0].startswith("DIFFERS")
            print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
