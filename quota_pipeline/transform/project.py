"""The dbt project as Dagster sees it, and the build step that prepares its manifest.

The manifest is produced by `dbt parse` at build time (Makefile, test fixtures), never
committed and never parsed at every import; it is parsed here only when it is missing, so
that a fresh clone still loads. Policy thresholds reach dbt as ``--vars``, from the same
planning_policy.yaml the Polars step reads.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import InitResourceContext
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging.version import Version
from pydantic import PrivateAttr

from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.settings import DBT_PROJECT_DIR, Settings, dbt_target, scoped_environment
from quota_pipeline.transform.dbt_standby import CLIENT_EXECUTABLE, DBT_EXECUTABLE, DbtStandby
from quota_pipeline.warehouse.engines import engine_dbt_environment

# The target the definitions are built with (read once, at import, as dbt_project needs it).
DBT_TARGET = dbt_target()

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=DBT_TARGET,
)


class NightlyDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource without three start-up costs, and with the environment of
    one dbt command as a parameter (``cli(..., env=...)``).

    Before each dbt command dagster-dbt runs ``dbt --version`` in a subprocess (2.7 s) to
    learn the version of the executable, and builds an in-process dbt adapter (1 s) that
    only its ``fetch_row_counts`` and ``fetch_column_metadata`` use. Our executable is the
    venv's own dbt (DBT_EXECUTABLE), so its version is the installed dbt-core's; and this
    project does not fetch row counts or columns through dbt.

    A run also starts a dbt standby when it begins (transform/dbt_standby.py): a process
    that imports dbt beside the ingest, so that the night's `dbt build` (run through
    ``quota-dbt``) does not wait 1.5 s for dbt's import. The resource ends it with the run.
    """

    _standby: DbtStandby | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._standby = DbtStandby.start(self.target or DBT_TARGET)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._standby is not None:
            self._standby.stop()
            self._standby = None

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None

    def cli(
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> DbtCliInvocation:
        """dagster-dbt's ``cli`` with ``env``: variables for this dbt process only.

        dagster-dbt (0.29) builds dbt's environment from ``os.environ`` inside ``cli`` and
        has no parameter for it, so ``env`` is set there only while ``cli`` starts the
        process, and the previous values are restored: the run's process keeps its own.
        """
        standby = self._standby.environment() if self._standby is not None else {}
        with scoped_environment({**standby, **(env or {})}):
            return super().cli(args, **kwargs)


def dbt_resource() -> NightlyDbtCliResource:
    """The dbt resource of the definitions: the project, its profile and target, the venv's dbt."""
    return NightlyDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=dbt_project.profiles_dir,
        target=dbt_project.target,
        dbt_executable=CLIENT_EXECUTABLE,
    )


def dbt_vars(policy: Policy, engine_vars: Mapping[str, str] | None = None) -> str:
    """The policy's vars for dbt, plus the engine's (PostgreSQL: the build schema suffix)."""
    return json.dumps({**policy.dbt_vars(), **(engine_vars or {})}, sort_keys=True)


def dbt_environment(build_file: Path) -> dict[str, str]:
    """Environment variables the dbt profile reads for this run.

    The postgres and spark targets also get their connection variables, derived from the
    one setting (QUOTA_PG_DSN, QUOTA_SPARK_WAREHOUSE) the warehouse engines read.
    """
    if DBT_TARGET == "duckdb":
        return {"QUOTA_DBT_DUCKDB_PATH": str(build_file)}
    return {"QUOTA_DBT_DUCKDB_PATH": str(build_file), **engine_dbt_environment()}


def parse_manifest(settings: Settings | None = None) -> Path:
    """Run `dbt parse` so target/manifest.json matches the models and the policy."""
    settings = settings or Settings.from_env()
    policy = load_policy(settings.policy_file)
    env = {**os.environ, **dbt_environment(settings.build_file)}
    command = [
        DBT_EXECUTABLE,
        "parse",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", DBT_TARGET,
        "--vars", dbt_vars(policy),
        "--quiet",
    ]  # fmt: skip
    subprocess.run(command, check=True, env=env, cwd=DBT_PROJECT_DIR)
    return dbt_project.manifest_path


def ensure_manifest() -> Path:
    if not dbt_project.manifest_path.exists():
        parse_manifest()
    return dbt_project.manifest_path


if __name__ == "__main__":
    print(parse_manifest())
