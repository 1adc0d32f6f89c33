"""Tiny warehouses for the account target allocation (docs/contract.md section 3b).

tests/fixtures/allocation is small enough to work out by hand (test_allocation.py has the
numbers); it is loaded with the real ingest code and built with the real dbt project under
the policy vars of each case (method, basis, bucket column and weights).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from small_warehouse import TEST_POLICY_VARS, load_extracts_into_raw, run_dbt
from support import ALLOCATION_FIXTURE

ALLOCATION_EXTRACTS = ALLOCATION_FIXTURE
# The models a case needs, with everything upstream and their tests.
ALLOCATION_SELECTION = ("+territory_allocation", "int_final_account_targets")
SECTION_3_SELECTION = (
    "+territory_allocation",
    "+seller_target_rollup",
    "+territory_rollup",
)


def allocation_vars(**overrides: Any) -> dict[str, Any]:
    """The test policy's vars with allocation keys replaced (as Policy.dbt_vars passes them)."""
    return {**TEST_POLICY_VARS, **overrides}


def build_allocation_warehouse(
    work_dir: Path,
    policy_vars: dict[str, Any],
    selection: tuple[str, ...] = ALLOCATION_SELECTION,
    extracts: Path = ALLOCATION_EXTRACTS,
    expect_success: bool = True,
) -> tuple[Path, str]:
    """Load ``extracts`` and `dbt build` the selection; the database and dbt's output."""
    work_dir.mkdir(parents=True, exist_ok=True)
    database = work_dir / "warehouse.duckdb"
    load_extracts_into_raw(extracts, database)
    result = run_dbt(
        "build",
        "--select",
        *selection,
        "--exclude-resource-type",
        "unit_test",
        "--indirect-selection",
        "cautious",  # no test of a model outside the selection
        "--vars",
        json.dumps(policy_vars),
        database=database,
        work_dir=work_dir,
    )
    if expect_success and result.returncode != 0:
        pytest.fail(f"dbt build failed ({result.returncode}):\n{result.stdout[-6000:]}")
    return database, result.stdout
