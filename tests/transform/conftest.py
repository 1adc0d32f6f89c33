"""One real `dbt build` (dbt-duckdb, no mocks) over tests/fixtures/small, per session."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from small_warehouse import (
    SMALL_EXTRACTS,
    TEST_POLICY_VARS,
    add_quarantined_rows,
    load_extracts_into_raw,
    run_dbt,
)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with raw.* from the small fixture and every dbt model built."""
    work_dir = tmp_path_factory.mktemp("dbt_small")
    database = work_dir / "warehouse.duckdb"
    load_extracts_into_raw(SMALL_EXTRACTS, database)
    add_quarantined_rows(database)
    started = time.perf_counter()
    result = run_dbt(
        "build", "--vars", json.dumps(TEST_POLICY_VARS), database=database, work_dir=work_dir
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        pytest.fail(f"dbt build failed ({result.returncode}):\n{result.stdout[-6000:]}")
    print(f"\ndbt build on tests/fixtures/small: {elapsed:.1f}s")
    return database


@pytest.fixture
def warehouse(built_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the built warehouse."""
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        yield con
    finally:
        con.close()
