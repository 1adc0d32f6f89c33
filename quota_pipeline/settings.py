"""Paths and environment variables, read in one place.

docs/contract.md fixes the variables (QUOTA_EXTRACTS_DIR, QUOTA_WAREHOUSE, QUOTA_OPS_DB,
QUOTA_POLICY) and their defaults; everything else derives its paths from here so that a
user can move the whole data folder with environment variables alone. The warehouse
engine (QUOTA_DBT_TARGET) is read and validated here too, for dbt and the warehouse alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from quota_pipeline.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_TARGET_VARIABLE = "QUOTA_DBT_TARGET"
# The targets of dbt_project/profiles.yml, one per warehouse engine; duckdb is the default.
DBT_TARGETS = ("duckdb", "postgres", "spark")


def _path(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable) or default).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    """Where the run reads and writes; built from the environment or CLI options."""

    extracts_dir: Path
    warehouse: Path
    ops_db: Path
    policy_file: Path

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            extracts_dir=_path("QUOTA_EXTRACTS_DIR", "data/extracts"),
            warehouse=_path("QUOTA_WAREHOUSE", "data/warehouse.duckdb"),
            ops_db=_path("QUOTA_OPS_DB", "data/ops.duckdb"),
            policy_file=_path("QUOTA_POLICY", str(PROJECT_ROOT / "planning_policy.yaml")),
        )

    @property
    def build_dir(self) -> Path:
        """Private folder beside the warehouse where a run builds its new file."""
        return self.warehouse.parent / ".build"

    @property
    def build_file(self) -> Path:
        """The run's build file; same name as the warehouse so dbt's catalog name matches."""
        return self.build_dir / self.warehouse.name

    def export(self) -> None:
        """Publish these paths to the environment, for dbt and for Dagster resources."""
        os.environ["QUOTA_EXTRACTS_DIR"] = str(self.extracts_dir)
        os.environ["QUOTA_WAREHOUSE"] = str(self.warehouse)
        os.environ["QUOTA_OPS_DB"] = str(self.ops_db)
        os.environ["QUOTA_POLICY"] = str(self.policy_file)


def duckdb_threads() -> int:
    """Threads DuckDB may use (QUOTA_DUCKDB_THREADS, default: every core)."""
    return int(os.environ.get("QUOTA_DUCKDB_THREADS") or os.cpu_count() or 1)


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit (QUOTA_DUCKDB_MEMORY_LIMIT, default 4GB).

    4GB keeps a 10M-account night under 5 GB in all (6.6 GB with 6GB) for about 7 % more
    time; DuckDB spills beyond it to the build folder's temp directory.
    """
    return os.environ.get("QUOTA_DUCKDB_MEMORY_LIMIT") or "4GB"


def dbt_target() -> str:
    """The warehouse engine as a dbt target (QUOTA_DBT_TARGET, default duckdb), validated."""
    target = os.environ.get(DBT_TARGET_VARIABLE) or "duckdb"
    if target not in DBT_TARGETS:
        raise UsageError(
            f"{DBT_TARGET_VARIABLE}={target!r}: expected one of {', '.join(DBT_TARGETS)}"
        )
    return target


@contextmanager
def scoped_environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` inside the block, for a tool that reads its settings
    from the environment (dbt's profile); only those names are restored after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
