"""Run bench/floor.sql on one extracts folder into a fresh DuckDB file.

The floor is the benchmark's yardstick: the same marts and risk tables as the pipeline,
computed by bare DuckDB in one connection. run_bench.py runs this file as its own process,
so the floor's wall time and peak memory are measured the same way as the pipeline's (a
whole process, interpreter start and DuckDB import included). DuckDB gets the same threads
and memory limit as the pipeline's connections (QUOTA_DUCKDB_THREADS,
QUOTA_DUCKDB_MEMORY_LIMIT), read through quota_pipeline.settings so the defaults agree.

The policy file (--policy, else QUOTA_POLICY, else the repository's planning_policy.yaml)
is read as plain YAML, without the pipeline's validation: its allocation and outlook keys
go into the script as literals (docs/contract.md sections 3b and 3c). --previous names the
last published warehouse, whose risk.quota_risk the outlook's change columns compare with,
as the pipeline's nightly run does; without it they are null, as on a first run.

Usage: python bench/floor_runner.py EXTRACTS_DIR DATABASE [--policy FILE] [--previous DB]
                                    [--threads N] [--memory-limit M]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from quota_pipeline.settings import duckdb_memory_limit, duckdb_threads

FLOOR_SQL = Path(__file__).with_name("floor.sql")
DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "planning_policy.yaml"
OUTPUT_TABLES: tuple[str, ...] = (
    "marts.account_target_allocation",
    "marts.territory_allocation",
    "marts.account_target_distribution",
    "marts.seller_target_rollup",
    "marts.territory_rollup",
    "risk.quota_risk",
    "risk.seller_outlook",
    "risk.strategic_gaps",
    "risk.territory_outlook",
)
OVERRIDES_HEADER = "account_id,period,target_amount,currency_iso,reason,overridden_by\n"
PREVIOUS_COLUMNS = "period, seller_id, quota, sum_account_targets"


def _string(text: str) -> str:
    """The body of a SQL string literal."""
    return text.replace("'", "''")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _percent(share: float) -> str:
    """A policy share as the reasons print it (0.15 -> "15")."""
    text = format((Decimal(repr(share)) * 100).normalize(), "f")
    return "0" if text == "-0" else text


def _bucket_weights(weights: dict[str, float]) -> str:
    """VALUES rows (bucket, weight) with the weights as integers in one scale: largest
    remainder gives the same cents for weights scaled by a common factor, and integers keep
    R * w mod W exact. A null first row keeps the list valid when no bucket is listed."""
    exact = {bucket: Decimal(repr(weight)) for bucket, weight in weights.items()}
    places = max((-value.normalize().as_tuple().exponent for value in exact.values()), default=0)
    scale = Decimal(10) ** max(int(places), 0)
    rows = ["(NULL, 0)"]
    rows += [f"('{_string(b)}', {int(value * scale)})" for b, value in sorted(exact.items())]
    return ", ".join(rows)


def policy_literals(policy_file: Path) -> dict[str, str]:
    """The placeholders of floor.sql taken from the policy file, as SQL text."""
    policy: dict[str, Any] = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
    allocation, outlook = policy["allocation"], policy["outlook"]
    return {
        "targets_basis": _string(allocation["targets_basis"]),
        "allocation_method": _string(allocation["method"]),
        "weight_column": _identifier(allocation["weight_column"]),
        "bucket_column": _identifier(allocation["bucket_column"]),
        "bucket_weights": _bucket_weights(allocation["bucket_weights"]),
        "target_sd_a": repr(float(outlook["target_sd"]["a"])),
        "target_sd_b": repr(float(outlook["target_sd"]["b"])),
        "target_sd_c": repr(float(outlook["target_sd"]["c"])),
        "attainment_min": repr(float(outlook["attainment_design"]["min"])),
        "attainment_max": repr(float(outlook["attainment_design"]["max"])),
        "max_stretch_deviation": repr(float(outlook["max_stretch_deviation"])),
        "stretch_limit_percent": _percent(outlook["max_stretch_deviation"]),
        "min_peer_group": str(int(outlook["min_peer_group"])),
        "max_over_assignment": repr(float(outlook["max_over_assignment"])),
        "relief_min_drop": repr(float(outlook["relief_min_drop"])),
        "relief_limit_percent": _percent(outlook["relief_min_drop"]),
    }


def floor_script(extracts: Path, database: Path, policy_file: Path) -> str:
    """floor.sql with its {placeholders} replaced: folders quoted as SQL string bodies,
    policy values as literals. A folder without the optional target_overrides extract gets
    a header-only file beside the database (no overrides)."""
    overrides = extracts / "target_overrides.csv"
    if not overrides.is_file():
        overrides = database.with_name(database.stem + ".no_overrides.csv")
        overrides.write_text(OVERRIDES_HEADER, encoding="utf-8")
    values = {
        "extracts": _string(extracts.resolve().as_posix()),
        "target_overrides_csv": _string(overrides.resolve().as_posix()),
        **policy_literals(policy_file),
    }
    script = FLOOR_SQL.read_text(encoding="utf-8")
    for name, value in values.items():
        script = script.replace("{" + name + "}", value)
    return script


def normal_cdf(z: float) -> float:
    """Phi(z); erfc keeps the lower tail's precision (as the pipeline computes it)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def load_previous(connection: duckdb.DuckDBPyConnection, previous: Path | None) -> None:
    """previous_quota_risk: the last published run's rows, or none (a first run)."""
    if previous is None:
        connection.execute(
            "CREATE TEMP TABLE previous_quota_risk (period VARCHAR, seller_id VARCHAR,"
            " quota DECIMAL(18, 2), sum_account_targets DECIMAL(18, 2))"
        )
        return
    connection.execute(f"ATTACH '{_string(str(previous.resolve()))}' AS previous (READ_ONLY)")
    connection.execute(
        f"CREATE TEMP TABLE previous_quota_risk AS"
        f" SELECT {PREVIOUS_COLUMNS} FROM previous.risk.quota_risk"
    )
    connection.execute("DETACH previous")


def run_floor(
    extracts: Path,
    database: Path,
    threads: int | None = None,
    memory_limit: str | None = None,
    policy_file: Path | None = None,
    previous: Path | None = None,
) -> dict[str, int]:
    """Build the floor's tables into a new ``database`` (replaced if present); rows per table."""
    if not (extracts / "account_targets.csv").is_file():
        raise FileNotFoundError(f"{extracts}: no account_targets.csv (the floor reads CSV only)")
    policy_file = policy_file or Path(os.environ.get("QUOTA_POLICY") or DEFAULT_POLICY)
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    config = {
        "threads": threads or duckdb_threads(),
        "memory_limit": memory_limit or duckdb_memory_limit(),
    }
    script = floor_script(extracts, database, policy_file)
    with duckdb.connect(str(database), config=config) as connection:
        connection.create_function(
            "normal_cdf", normal_cdf, [duckdb.sqltype("DOUBLE")], duckdb.sqltype("DOUBLE")
        )
        load_previous(connection, previous)
        connection.execute(script)
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
    parser.add_argument(
        "--policy", type=Path, help="policy YAML (default: QUOTA_POLICY, else planning_policy.yaml)"
    )
    parser.add_argument(
        "--previous", type=Path, help="last published warehouse (risk.quota_risk) to compare with"
    )
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        counts = run_floor(
            arguments.extracts,
            arguments.database,
            arguments.threads,
            arguments.memory_limit,
            arguments.policy,
            arguments.previous,
        )
    except (OSError, KeyError, yaml.YAMLError, duckdb.Error) as error:
        print(f"floor: {error}", file=sys.stderr)
        return 1
    for table, rows in counts.items():
        print(f"{table}: {rows:,} rows")
    print(f"floor: {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
