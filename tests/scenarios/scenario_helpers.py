"""Helpers of the scenario tests: an isolated data folder for the CLI (support.cli runs it)."""

from __future__ import annotations

import os
from pathlib import Path

from support import POLICY_FILE


def environment(folder: Path, extracts: Path) -> dict[str, str]:
    """QUOTA_* and DAGSTER_HOME pointing into ``folder``; nothing of data/ is touched."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUOTA_")}
    env.update(
        QUOTA_WAREHOUSE=str(folder / "warehouse.duckdb"),
        QUOTA_OPS_DB=str(folder / "ops.duckdb"),
        QUOTA_EXTRACTS_DIR=str(extracts),
        QUOTA_POLICY=str(POLICY_FILE),
        DAGSTER_HOME=str(folder / "dagster_home"),
    )
    (folder / "dagster_home").mkdir(parents=True, exist_ok=True)
    return env
