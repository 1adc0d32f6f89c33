"""The Spark warehouse engine: a local Spark and its metastore in a folder, one job a process.

Spark has no transaction over several tables: each table is replaced in place when its step
writes it; what its readers see during a run is in docs/deployment.md section 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from quota_pipeline.warehouse.base import plain_arrow, validate_name
from quota_pipeline.warehouse.sync import copy_models_back, ship_raw


def spark_home() -> Path:
    """QUOTA_SPARK_WAREHOUSE: the folder holding the Spark warehouse and its metastore."""
    value = os.environ.get("QUOTA_SPARK_WAREHOUSE")
    if not value:
        raise ValueError("QUOTA_DBT_TARGET=spark needs QUOTA_SPARK_WAREHOUSE (a folder)")
    return Path(value).expanduser().resolve()


@dataclass
class SparkWarehouse:
    """A local Spark (the stand-in for a cluster) with a Derby metastore in a folder.

    Every operation runs in a short-lived child process (spark_job.py): the embedded Derby
    metastore admits one JVM at a time, and dbt's own Spark session (another process)
    must be able to open it right after. Data crosses as Parquet, Spark's own format.
    """

    home: Path
    name: str = "spark"
    builds_in_build_file: bool = False

    @classmethod
    def from_env(cls) -> SparkWarehouse:
        return cls(home=spark_home())

    def build_vars(self) -> dict[str, str]:
        """Spark builds in the published schemas: no suffix."""
        return {}

    def start_run(self, run_id: str) -> None:
        """Nothing to prepare: Spark replaces tables in place (docs/deployment.md 3)."""

    def ship_raw(self, build_file: Path) -> int:
        return ship_raw(self, build_file)

    def copy_models_back(self, build_file: Path) -> None:
        copy_models_back(self, build_file)

    def read_model(self, build: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
        """The table from the Spark warehouse (``build`` is not read)."""
        return self.read_table(name)

    def publish(self, run_id: str) -> bool:
        """Nothing to swap: each table was replaced when its step wrote it, so readers
        already see this run."""
        return True

    def _job(self, *arguments: str) -> None:
        env = {**os.environ, "QUOTA_SPARK_WAREHOUSE": str(self.home)}
        command = [sys.executable, "-m", "quota_pipeline.warehouse.spark_job", *arguments]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout)[-4000:]
            raise RuntimeError(f"spark job {arguments[0]} failed ({result.returncode}):\n{tail}")

    def load_raw(self, tables: Mapping[str, pa.Table]) -> None:
        import pyarrow.parquet as pq  # here, not at import: the DuckDB path never needs it

        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.home, prefix="load-") as folder:
            for name, table in tables.items():
                validate_name(name)
                pq.write_table(table, Path(folder) / f"{name}.parquet")
            self._job("load", folder)

    def read_table(self, name: str) -> pl.DataFrame:
        return self.read_tables([name])[name]

    def read_tables(self, names: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Managed Parquet tables straight from their folders; others through Spark.

        The marts and risk tables are managed Parquet tables (dbt_project.yml sets
        file_format parquet for Spark; write_table saves Parquet), stored by Spark at
        <warehouse>/<schema>.db/<table>: reading those files needs no JVM, which saves
        a Spark start (tens of seconds) per read. Anything else goes through a Spark job.
        """
        frames: dict[str, pl.DataFrame] = {}
        through_spark: list[str] = []
        for name in names:
            schema, table = validate_name(name)
            folder = self.home / "warehouse" / f"{schema}.db" / table
            if (folder / "_SUCCESS").exists() and any(folder.glob("*.parquet")):
                frames[name] = pl.read_parquet(folder / "*.parquet")
            else:
                through_spark.append(name)
        if through_spark:
            self.home.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.home, prefix="read-") as folder:
                arguments: list[str] = []
                for name in through_spark:
                    arguments += [name, str(Path(folder) / name)]
                self._job("read", *arguments)
                for name in through_spark:
                    frames[name] = pl.read_parquet(Path(folder) / name / "*.parquet")
        return {name: frames[name] for name in names}

    def write_table(self, name: str, frame: pl.DataFrame) -> None:
        import pyarrow.parquet as pq

        validate_name(name)
        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.home, prefix="write-") as folder:
            path = Path(folder) / f"{name}.parquet"
            pq.write_table(plain_arrow(frame), path)
            self._job("write", name, str(path))
