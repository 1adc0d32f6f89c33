"""Shared fixtures: the repository's policy, small extract folders, isolated run paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quota_pipeline.policy import Policy, load_policy

REPO = Path(__file__).resolve().parent.parent
SMALL_FIXTURE = REPO / "tests" / "fixtures" / "small"


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(REPO / "planning_policy.yaml")


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    """A writable copy of the small, hand-checkable extract folder."""
    target = tmp_path / "extracts"
    shutil.copytree(SMALL_FIXTURE, target)
    return target


@pytest.fixture
def run_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """QUOTA_* and DAGSTER_HOME pointing into tmp_path, for runs that must not touch data/."""
    paths = {
        "warehouse": tmp_path / "out" / "warehouse.duckdb",
        "ops_db": tmp_path / "out" / "ops.duckdb",
        "dagster_home": tmp_path / "dagster_home",
    }
    paths["dagster_home"].mkdir()
    monkeypatch.setenv("QUOTA_WAREHOUSE", str(paths["warehouse"]))
    monkeypatch.setenv("QUOTA_OPS_DB", str(paths["ops_db"]))
    monkeypatch.setenv("DAGSTER_HOME", str(paths["dagster_home"]))
    monkeypatch.setenv("QUOTA_POLICY", str(REPO / "planning_policy.yaml"))
    return paths
