"""The preflight returns the policy the run then uses, and refuses an unknown engine in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.automation.preflight import preflight
from quota_pipeline.errors import UsageError
from quota_pipeline.policy import load_policy
from quota_pipeline.settings import Settings


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        extracts_dir=SMALL_FIXTURE,
        warehouse=tmp_path / "warehouse.duckdb",
        ops_db=tmp_path / "ops.duckdb",
        policy_file=POLICY_FILE,
    )


def test_preflight_gives_the_policy_and_the_extracts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("QUOTA_DBT_TARGET", raising=False)
    policy, extracts = preflight(_settings(tmp_path))
    assert policy == load_policy(POLICY_FILE)
    assert {extract.spec.name for extract in extracts} >= {"accounts", "quotas"}


def test_unknown_engine_is_refused_before_the_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("QUOTA_DBT_TARGET", "oracle")
    with pytest.raises(UsageError) as refused:
        preflight(_settings(tmp_path))
    assert refused.value.exit_code == 2
    assert str(refused.value) == (
        "QUOTA_DBT_TARGET='oracle': expected one of duckdb, postgres, spark"
    )
    assert not (tmp_path / "warehouse.duckdb").exists()
