"""Every risk.* table the nightly job publishes, as data: what it reads and how it is computed.

The nightly risk assets and a what-if scenario must compute the same tables from the same
marts with the same planning/ functions. This registry is the one list of them, in
dependency order, without Dagster (a scenario must not pay Dagster's start-up): each entry
names its table, the tables it reads, and the planning function that computes it. A test
checks that every risk asset of the Dagster definitions has an entry here, so a new risk
table cannot be published at night and silently missing from scenarios.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb
import polars as pl

from quota_pipeline.planning import compute_strategic_gaps
from quota_pipeline.planning.outlook import (
    PREVIOUS_COLUMNS,
    compute_risk_and_outlook,
    compute_territory_outlook,
)
from quota_pipeline.policy import Policy

Reader = Callable[[str], pl.DataFrame]
PreviousReader = Callable[[str], pl.DataFrame | None]


@dataclass(frozen=True)
class RiskTable:
    """One published risk table: ``compute(read, previous, policy)`` returns its frame.

    ``read(table)`` gives a table of the run being built (marts, intermediate, or a risk
    table listed before this one); ``previous(table)`` gives the last published run's table,
    or None when there is none (first run).
    """

    table: str
    reads: tuple[str, ...]
    compute: Callable[[Reader, PreviousReader, Policy], pl.DataFrame]


def _risk_and_outlook(
    read: Reader, previous: PreviousReader, policy: Policy
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """risk.quota_risk (with the outlook's sentences) and risk.seller_outlook (contract 3c).

    Both tables come from one computation (as the nightly asset does it once): the result is
    kept on ``read``, which lives for one compute_all, so the second table reuses it.
    """
    cached = getattr(read, "risk_and_outlook", None)
    if cached is not None:
        return cached
    published = previous("risk.quota_risk")
    computed = compute_risk_and_outlook(
        read("marts.seller_target_rollup"),
        read("marts.territory_rollup"),
        None if published is None else published.select(PREVIOUS_COLUMNS),
        policy,
    )
    read.risk_and_outlook = computed  # type: ignore[attr-defined]
    return computed


def _quota_risk(read: Reader, previous: PreviousReader, policy: Policy) -> pl.DataFrame:
    return _risk_and_outlook(read, previous, policy)[0]


def _seller_outlook(read: Reader, previous: PreviousReader, policy: Policy) -> pl.DataFrame:
    return _risk_and_outlook(read, previous, policy)[1]


def _territory_outlook(read: Reader, _previous: PreviousReader, policy: Policy) -> pl.DataFrame:
    return compute_territory_outlook(
        read("marts.territory_rollup"),
        read("risk.quota_risk"),
        read("risk.seller_outlook"),
        read("intermediate.int_territory_closure"),
        policy,
    )


def _strategic_gaps(read: Reader, _previous: PreviousReader, policy: Policy) -> pl.DataFrame:
    return compute_strategic_gaps(
        read("marts.territory_rollup"),
        read("marts.seller_target_rollup"),
        read("intermediate.int_territory_closure"),
        policy,
    )


RISK_TABLES: tuple[RiskTable, ...] = (
    RiskTable(
        "risk.quota_risk",
        ("marts.seller_target_rollup", "marts.territory_rollup"),
        _quota_risk,
    ),
    RiskTable(
        "risk.seller_outlook",
        ("marts.seller_target_rollup", "marts.territory_rollup"),
        _seller_outlook,
    ),
    RiskTable(
        "risk.strategic_gaps",
        (
            "marts.territory_rollup",
            "marts.seller_target_rollup",
            "intermediate.int_territory_closure",
        ),
        _strategic_gaps,
    ),
    RiskTable(
        "risk.territory_outlook",
        (
            "marts.territory_rollup",
            "risk.quota_risk",
            "risk.seller_outlook",
            "intermediate.int_territory_closure",
        ),
        _territory_outlook,
    ),
)


def read_duckdb_table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    """A whole (aggregated, small) table of ``con`` as a Polars frame, via Arrow."""
    return pl.from_arrow(con.sql(f"select * from {table}").to_arrow_table())  # type: ignore[return-value]


def write_duckdb_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace ``table`` with ``frame`` (Arrow into DuckDB), as the nightly risk step does."""
    schema, _name = table.split(".")
    con.execute(f"create schema if not exists {schema}")
    con.register("risk_frame", frame.to_arrow())
    try:
        con.execute(f"create or replace table {table} as select * from risk_frame")
    finally:
        con.unregister("risk_frame")


def compute_all(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    previous: PreviousReader,
    tables: tuple[RiskTable, ...] = RISK_TABLES,
) -> Mapping[str, pl.DataFrame]:
    """Compute and write every registered risk table into ``con``, in order; the frames.

    Each input is read once: frames are cached by table name, and a risk table written here
    is read from the cache by the tables after it.
    """
    frames: dict[str, pl.DataFrame] = {}

    def read(table: str) -> pl.DataFrame:
        if table not in frames:
            frames[table] = read_duckdb_table(con, table)
        return frames[table]

    computed: dict[str, pl.DataFrame] = {}
    for entry in tables:
        frame = entry.compute(read, previous, policy)
        write_duckdb_table(con, entry.table, frame)
        frames[entry.table] = frame
        computed[entry.table] = frame
    return computed
