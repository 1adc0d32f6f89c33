"""The dbt resource skips dagster-dbt's `dbt --version` subprocess and adapter handle."""

from __future__ import annotations

import os
import re
import subprocess

from dagster_dbt import DbtCliResource

from quota_pipeline.transform.project import DBT_EXECUTABLE, NightlyDbtCliResource, dbt_resource


def test_version_is_the_executables_own():
    output = subprocess.run(
        [DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True
    ).stdout
    installed = re.search(r"installed:\s+(\S+)", output)
    assert installed, output
    assert str(dbt_resource()._cli_version) == installed.group(1)


def test_overrides_still_match_dagster_dbt():
    # An upgrade that renames these would silently bring the 4 s back: fail instead.
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hasattr(DbtCliResource, name)
        assert getattr(NightlyDbtCliResource, name) is not getattr(DbtCliResource, name)
    assert dbt_resource()._initialize_dbt_core_adapter(["build"]) is None


def test_env_reaches_the_dbt_process_only(monkeypatch):
    """The run's environment is dbt's for the one command (dagster-dbt reads os.environ
    when it starts dbt), and the process's own environment is unchanged afterwards."""
    seen: dict[str, str | None] = {}

    def start_dbt(self, args, **kwargs):
        seen.update({name: os.environ.get(name) for name in ("QUOTA_DBT_DUCKDB_PATH", "KEPT")})
        return "invocation"

    monkeypatch.setattr(DbtCliResource, "cli", start_dbt)
    monkeypatch.delenv("QUOTA_DBT_DUCKDB_PATH", raising=False)
    monkeypatch.setenv("KEPT", "before")
    env = {"QUOTA_DBT_DUCKDB_PATH": "/tmp/build.duckdb", "KEPT": "during"}
    assert dbt_resource().cli(["build"], env=env) == "invocation"
    assert seen == env
    assert "QUOTA_DBT_DUCKDB_PATH" not in os.environ
    assert os.environ["KEPT"] == "before"
