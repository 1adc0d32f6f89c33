"""The one Dagster resource every asset shares: where this run reads, builds and publishes.

Its fields default to the environment (docs/contract.md section 4 variables), so `dagster dev`,
the nightly schedule and `quota-pipeline run` all resolve the same paths.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.settings import Settings
from quota_pipeline.warehouse.duckdb_files import connect


class QuotaPipelineResource(ConfigurableResource):
    """Paths of one run; empty fields fall back to QUOTA_* environment variables."""

    extracts_dir: str = ""
    warehouse: str = ""
    ops_db: str = ""
    policy_file: str = ""

    @cached_property
    def settings(self) -> Settings:
        defaults = Settings.from_env()
        return Settings(
            extracts_dir=Path(self.extracts_dir).resolve()
            if self.extracts_dir
            else defaults.extracts_dir,
            warehouse=Path(self.warehouse).resolve() if self.warehouse else defaults.warehouse,
            ops_db=Path(self.ops_db).resolve() if self.ops_db else defaults.ops_db,
            policy_file=Path(self.policy_file).resolve()
            if self.policy_file
            else defaults.policy_file,
        )

    @cached_property
    def policy(self) -> Policy:
        return load_policy(self.settings.policy_file)

    def build_connection(self) -> duckdb.DuckDBPyConnection:
        """A writable connection to this run's build file."""
        return connect(self.settings.build_file)
