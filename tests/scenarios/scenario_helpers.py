"""Helpers of the scenario tests: the CLI in a subprocess, on an isolated data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "fixtures" / "small"
CLI = Path(sys.executable).with_name("quota-pipeline")


def cli(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *arguments], capture_output=True, text=True, env=env, timeout=900
    )


def environment(folder: Path, extracts: Path) -> dict[str, str]:
    """QUOTA_* and DAGSTER_HOME pointing into ``folder``; nothing of data/ is touched."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUOTA_")}
    env.update(
        QUOTA_WAREHOUSE=str(folder / "warehouse.duckdb"),
        QUOTA_OPS_DB=str(folder / "ops.duckdb"),
        QUOTA_EXTRACTS_DIR=str(extracts),
        QUOTA_POLICY=str(REPO / "planning_policy.yaml"),
        DAGSTER_HOME=str(folder / "dagster_home"),
    )
    (folder / "dagster_home").mkdir(parents=True, exist_ok=True)
    return env
