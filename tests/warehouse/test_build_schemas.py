"""The run's build schemas on PostgreSQL, without a database: names, vars, dbt's schemas.

Why: the atomic publish (docs/contract.md section 4) depends on every writer of the run
agreeing on ``<schema>__next``: the engine (ingest's shipment, the risk step) and dbt
(generate_schema_name and the raw source). `dbt parse` needs no connection, so this runs
everywhere, and shows the suffix never reaches the DuckDB target.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support import POLICY_FILE

from quota_pipeline.policy import load_policy
from quota_pipeline.settings import DBT_PROJECT_DIR
from quota_pipeline.transform.project import DBT_EXECUTABLE, dbt_vars
from quota_pipeline.warehouse.postgres import BUILD_SUFFIX, PostgresWarehouse, _suffixed


def test_the_run_writes_next_schemas_and_readers_the_published_ones() -> None:
    published = PostgresWarehouse(uri="postgresql://quota@127.0.0.1:5432/quota")
    assert published.suffix == ""
    assert published.building().suffix == BUILD_SUFFIX
    assert published.building().build_vars() == {"quota_schema_suffix": BUILD_SUFFIX}
    assert _suffixed("marts.seller_target_rollup", BUILD_SUFFIX) == (
        "marts__next",
        "seller_target_rollup",
    )


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("marts.x; drop table y", ""), ("marts.x", "; drop"), ("m" * 60 + ".x", BUILD_SUFFIX)],
)
def test_unsafe_or_too_long_names_are_refused(name: str, suffix: str) -> None:
    with pytest.raises(ValueError):
        _suffixed(name, suffix)


def test_duckdb_vars_are_the_policys_alone() -> None:
    policy = load_policy(POLICY_FILE)
    assert dbt_vars(policy) == json.dumps(policy.dbt_vars(), sort_keys=True)
    with_suffix = json.loads(dbt_vars(policy, {"quota_schema_suffix": BUILD_SUFFIX}))
    assert with_suffix == {**policy.dbt_vars(), "quota_schema_suffix": BUILD_SUFFIX}


def parsed_schemas(target: str, tmp_path: Path) -> dict[str, str]:
    """unique_id -> schema of the raw source and two models, from `dbt parse`."""
    policy = load_policy(POLICY_FILE)
    target_path = tmp_path / target
    env = {
        **os.environ,
        "QUOTA_DBT_DUCKDB_PATH": str(tmp_path / "unused.duckdb"),
        "DBT_TARGET_PATH": str(target_path),
    }
    command = [
        DBT_EXECUTABLE, "parse", "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR), "--target", target,
        "--vars", dbt_vars(policy, {"quota_schema_suffix": BUILD_SUFFIX}), "--quiet",
    ]  # fmt: skip
    subprocess.run(command, check=True, env=env, cwd=DBT_PROJECT_DIR, timeout=300)
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    nodes = {**manifest["sources"], **manifest["nodes"]}
    wanted = (
        "source.quota_pipeline.raw.accounts",
        "model.quota_pipeline.stg_accounts",
        "model.quota_pipeline.seller_target_rollup",
    )
    return {unique_id: nodes[unique_id]["schema"] for unique_id in wanted}


def test_dbt_builds_into_next_schemas_on_postgres_only(tmp_path: Path) -> None:
    pytest.importorskip("dbt.adapters.postgres", reason="dbt-postgres not installed")
    assert sorted(parsed_schemas("postgres", tmp_path).values()) == [
        "marts__next",
        "raw__next",
        "staging__next",
    ]
    assert sorted(parsed_schemas("duckdb", tmp_path).values()) == ["marts", "raw", "staging"]
