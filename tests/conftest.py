"""Shared fixtures: the repository's policy, small extract folders, isolated run paths, and
two real published runs. Paths and the CLI helper live in support.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import POLICY_FILE, SMALL_FIXTURE
from two_published_runs import PublishedRuns, publish_two_runs

from quota_pipeline.policy import Policy, load_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(POLICY_FILE)


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
    monkeypatch.setenv("QUOTA_POLICY", str(POLICY_FILE))
    return paths


@pytest.fixture(scope="session")
def published_runs(tmp_path_factory: pytest.TempPathFactory) -> PublishedRuns:
    """Two real published runs of generated extracts, once per session (two_published_runs.py)."""
    return publish_two_runs(tmp_path_factory.mktemp("published"))
