"""Run bench/floor.sql on one extracts folder into a fresh DuckDB file.

The floor is the benchmark's yardstick: the same marts and risk tables as the pipeline,
computed by bare DuckDB in one connection. run_bench.py runs this file as its own process,
so the floor's wall time and peak memory are measured the same way as the pipeline's (a
whole process, interpreter start and DuckDB import included). DuckDB gets the same threads
and memory limit as the pipeline's connections (QUOTA_DUCKDB_THREADS,
QUOTA_DUCKDB_MEMORY_LIMIT), read through quota_pipeline.settings so the defaults agree.

Usage: python bench/floor_runner.py EXTRACTS_DIR DATABASE [--threads N] [--memory-limit M]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

from quota_pipeline.settings import duckdb_memory_limit, duckdb_threads

FLOOR_SQL = Path(__file__).with_name("floor.sql")
PLACEHOLDER = "{extracts}"
OUTPUT_TABLES: tuple[str, ...] = (
    "marts.account_target_distribution",
    "marts.seller_target_rollup",
    "marts.territory_rollup",
    "risk.quota_risk",
    "risk.strategic_gaps",
)


def floor_script(extracts: Path) -> str:
    """floor.sql with the placeholder replaced by the folder, quoted as a SQL string body."""
    folder = extracts.resolve().as_posix().replace("'", "''")
    return FLOOR_SQL.read_text(encoding="utf-8").replace(PLACEHOLDER, folder)


def run_floor(
    extracts: Path, database: Path, threads: int | None = None, memory_limit: str | None = None
) -> dict[str, int]:
    """Build the floor's tables into a new ``database`` (replaced if present); rows per table."""
    if not (extracts / "account_targets.csv").is_file():
        raise FileNotFoundError(f"{extracts}: no account_targets.csv (the floor reads CSV only)")
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    config = {
        "threads": threads or duckdb_threads(),
        "memory_limit": memory_limit or duckdb_memory_limit(),
    }
    with duckdb.connect(str(database), config=config) as connection:
        connection.execute(floor_script(extracts))
        counts: dict[str, int] = {}
        for table in OUTPUT_TABLES:
            row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
        connection.execute("CHECKPOINT")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmark floor (bench/floor.sql).")
    parser.add_argument("extracts", type=Path, help="folder with the <extract>.csv files")
    parser.add_argument("database", type=Path, help="DuckDB file to create (replaced)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (as the pipeline's)")
    parser.add_argument("--memory-limit", help="DuckDB memory limit (as the pipeline's)")
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        counts = run_floor(
            arguments.extracts, arguments.database, arguments.threads, arguments.memory_limit
        )
    except (OSError, duckdb.Error) as error:
        print(f"floor: {error}", file=sys.stderr)
        return 1
    for table, rows in counts.items():
        print(f"{table}: {rows:,} rows")
    print(f"floor: {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
