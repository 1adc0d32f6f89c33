"""Build a DuckDB warehouse from a fixture extract folder with the real dbt project.

``load_extracts_into_raw`` runs the real ingest loader; dbt then builds on its raw.* tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
from support import POLICY_FILE, REPO, SMALL_FIXTURE

from quota_pipeline.ingest.loader import load_all
from quota_pipeline.policy import load_policy

DBT_PROJECT_DIR = REPO / "dbt_project"
SMALL_EXTRACTS = SMALL_FIXTURE

# The policy these tests were computed by hand with (the contract's defaults). Passed
# with --vars exactly as the pipeline passes Policy.dbt_vars().
TEST_POLICY_VARS = {
    "corporate_currency": "USD",
    "abc_tier_a": 0.80,
    "abc_tier_b": 0.95,
    "high_value_min_target": 100000,
    "max_null_target_share": 0.20,
    # allocation (docs/contract.md 3b) as Policy.dbt_vars passes it: weights scaled to
    # exact integers
    "targets_basis": "bottom_up",
    "allocation_method": "even",
    "weight_column": "annual_revenue",
    "bucket_column": "segment",
    "bucket_weights": {"enterprise": 6, "mid_market": 3, "smb": 1},
    "target_sd_a": 0.30,
    "target_sd_b": 0.45,
    "target_sd_c": 0.60,
}


def load_extracts_into_raw(extracts_dir: Path, database: Path) -> None:
    """Load every extract of ``extracts_dir`` into ``raw.*`` with the real ingest code.

    The same loader the Dagster ingest assets run, so dbt is tested on exactly the raw
    shape the pipeline produces (text columns, source lines, quarantine flags).
    """
    with duckdb.connect(str(database)) as con:
        load_all(con, extracts_dir, load_policy(POLICY_FILE), datetime(2026, 1, 1))


def add_quarantined_rows(database: Path) -> None:
    """Rows that broke a rule, flagged as ingest flags them: staging must drop them.

    Each one would break the build if it got through (an uncastable amount, a
    duplicate key, an unknown enum value and reference).
    """
    with duckdb.connect(str(database)) as con:
        con.execute(
            """
            insert into raw.account_targets by name
            select 'A01' as account_id, 'FY2027-Q1' as period,
                'lots' as target_amount, 'EUR' as currency_iso,
                'account_targets.csv' as _source_file, 99 as _source_line,
                cast(current_timestamp as timestamp) as _loaded_at, true as _is_quarantined
            """
        )
        con.execute(
            """
            insert into raw.sellers by name
            select 'S9' as seller_id, 'Nobody' as seller_name, 'NOWHERE' as territory_id,
                'AE' as role, 'intern' as seniority, '2026-13-01' as hire_date,
                '-1' as ote_amount, 'XXX' as currency_iso, 'fired' as status,
                'sellers.csv' as _source_file, 99 as _source_line,
                cast(current_timestamp as timestamp) as _loaded_at, true as _is_quarantined
            """
        )


def run_dbt(*args: str, database: Path, work_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the venv's dbt on dbt_project against ``database``, artifacts in ``work_dir``."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {
        **os.environ,
        "QUOTA_DBT_DUCKDB_PATH": str(database),
        "DO_NOT_TRACK": "1",
    }
    return subprocess.run(
        [
            str(dbt),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
