"""The embedded default warehouse: the run's DuckDB build file, which dbt builds in itself.

It exists so that the assets treat every engine alike (base.Warehouse): where the build
file IS the warehouse there is nothing to ship, copy back or publish beside the publish
step's own file rename, so those steps do nothing here and cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from quota_pipeline.warehouse.base import validate_name


@dataclass(frozen=True)
class DuckDBWarehouse:
    """dbt builds in the run's build file; the risk step reads and writes it directly."""

    name: str = "duckdb"
    builds_in_build_file: bool = True

    def start_run(self, run_id: str) -> None:
        """Nothing to prepare: the build file is new for every run (publish/build.py)."""

    def ship_raw(self, build_file: Path) -> int:
        """Nothing to ship: raw.* and dq.* are already where dbt builds."""
        return 0

    def build_vars(self) -> dict[str, str]:
        """The build file's schemas carry no suffix."""
        return {}

    def copy_models_back(self, build_file: Path) -> None:
        """Nothing to copy: dbt built the models in the build file."""

    def read_model(self, build: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
        """The table from the build file, via Arrow."""
        validate_name(name)
        return pl.from_arrow(build.sql(f"select * from {name}").to_arrow_table())

    def write_table(self, name: str, frame: pl.DataFrame) -> None:
        """Nothing beside the build file, which the caller writes."""

    def publish(self, run_id: str) -> bool:
        """Nothing of its own: the publish step's file rename publishes the build file."""
        return False
