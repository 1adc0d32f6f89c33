"""The last published run's risk.quota_risk, which the outlook's change columns compare with.

sat_change and relief_candidate (docs/contract.md 3c) set this run's SAT against the row
the last published warehouse holds for the same seller-period, whatever policy that run
used. That warehouse is the file analysts read (QUOTA_WAREHOUSE, on every engine the
embedded DuckDB copy of the run), opened read-only once per run, as the drift suites and
the report's "changes since the last run" open it. No file, or no such table yet (a first
run, or a warehouse from before the table existed): None, and the change columns are null.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import polars as pl

from quota_pipeline.planning.outlook import PREVIOUS_COLUMNS

LOG = logging.getLogger(__name__)
PREVIOUS_SQL = f"select {', '.join(PREVIOUS_COLUMNS)} from risk.quota_risk"


def read_published_quota_risk(warehouse: Path) -> pl.DataFrame | None:
    """PREVIOUS_COLUMNS of the published risk.quota_risk; None when there is none to read."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return pl.from_arrow(con.sql(PREVIOUS_SQL).to_arrow_table())  # type: ignore[return-value]
    except duckdb.Error as error:
        LOG.warning(
            "no previous risk.quota_risk in %s (%s): change columns are null", warehouse, error
        )
        return None
