"""`quota-pipeline whatif`: one scenario from CHANGES.yaml to scenarios/<name>.duckdb and .html.

The published warehouse is only read: it is copied (one sequential file copy, cheaper than
re-writing its largest raw tables row by row) into a private build file named like the
warehouse (so dbt's compiled SQL names the same catalog the nightly build does), the
changes are applied and re-checked there, every dbt model whose sources the changes touch
(and, when the published build's stamp differs, every model) and every risk table is
recomputed, the comparison is written, and the file is renamed into scenarios/ in one step, as a
nightly run publishes. No Dagster run, GX suite, dbt test, dbt docs, report, fingerprint or
run_log row: the scenario records itself in its own compare.scenario row.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from quota_pipeline.errors import RunInProgressError, UsageError
from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.risk.tables import RISK_TABLES, compute_all
from quota_pipeline.scenarios.apply import Applied, apply_changes
from quota_pipeline.scenarios.changes import ChangeSet, read_changes
from quota_pipeline.scenarios.compare import (
    build_compare,
    drop_baseline,
    keep_baseline,
    read_baseline,
)
from quota_pipeline.scenarios.compute import (
    CompiledModel,
    all_supported,
    compiled_models,
    reusable_tables,
    run_dbt_in_process,
    run_models,
)
from quota_pipeline.settings import Settings
from quota_pipeline.transform.stamp import dbt_build_digest, read_stamp, write_stamp
from quota_pipeline.warehouse.duckdb_files import connect

SCENARIO_FOLDER = "scenarios"
# Schemas a nightly run writes from the dbt project and the risk step; a relation there that
# no longer belongs to the project is dropped from the scenario (a nightly run builds anew).
MODEL_SCHEMAS = ("staging", "intermediate", "marts")


@dataclass(frozen=True)
class ScenarioPaths:
    """Where the scenarios of one published warehouse live (docs/contract.md section 6)."""

    warehouse: Path

    @property
    def folder(self) -> Path:
        return self.warehouse.parent / SCENARIO_FOLDER

    @property
    def build_dir(self) -> Path:
        return self.folder / ".build"

    @property
    def cache_dir(self) -> Path:
        return self.warehouse.parent / ".cache"

    def file(self, name: str) -> Path:
        return self.folder / f"{name}.duckdb"

    def page(self, name: str) -> Path:
        return self.folder / f"{name}.html"


@dataclass
class ScenarioResult:
    name: str
    file: Path
    changes: ChangeSet
    applied: Applied
    baseline_run_id: str | None
    reused: tuple[str, ...] = ()  # models kept as published (schema.name), not rebuilt
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.stages.values())


class _Stages:
    """Seconds per stage, for the summary and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def run_scenario(changes_file: Path, name: str | None, settings: Settings) -> ScenarioResult:
    """Compute the scenario of ``changes_file`` on the published warehouse of ``settings``."""
    stages = _Stages()
    with stages.stage("read changes"):
        changes = read_changes(changes_file, name)
        policy = load_policy(settings.policy_file)
    if not settings.warehouse.exists():
        raise UsageError(
            f"{settings.warehouse}: no published warehouse yet (run `quota-pipeline run`)"
        )
    paths = ScenarioPaths(settings.warehouse)
    with _scenario_lock(paths, changes.name):
        build = paths.build_dir / changes.name / settings.warehouse.name
        try:
            result = _build(build, changes, policy, paths, stages)
            with stages.stage("publish"):
                os.replace(build, paths.file(changes.name))
        finally:
            shutil.rmtree(build.parent, ignore_errors=True)
    result.stages = stages.seconds
    return result


def _build(
    build: Path, changes: ChangeSet, policy: Policy, paths: ScenarioPaths, stages: _Stages
) -> ScenarioResult:
    from quota_pipeline.publish.retention import published_run_id

    shutil.rmtree(build.parent, ignore_errors=True)
    build.parent.mkdir(parents=True, exist_ok=True)
    with stages.stage("copy published warehouse"):
        baseline_run_id = published_run_id(paths.warehouse)
        shutil.copyfile(paths.warehouse, build)
    con = _connect(build)
    try:
        with stages.stage("apply and check changes"):
            kept = keep_baseline(con)
            applied = apply_changes(con, changes, policy)
        with stages.stage("dbt models"):
            models = compiled_models(policy, paths.warehouse.stem, paths.cache_dir)
            digest = dbt_build_digest(policy, paths.warehouse.stem)
            if all_supported(models):
                kept_models = _reusable(con, models, applied, digest)
                run_models(con, models, keep={model.unique_id for model in kept_models})
                reused = tuple(f"{model.schema}.{_name(model)}" for model in kept_models)
            else:
                con.close()
                run_dbt_in_process(build, policy, build.parent)
                con = _connect(build)
                reused = ()
            write_stamp(con, digest)
            _drop_stale(con, {model.relation.replace('"', "") for model in models})
        with stages.stage("risk"):
            compute_all(con, policy, lambda table: read_baseline(con, kept, table))
        with stages.stage("compare"):
            build_compare(con, kept)
            drop_baseline(con)
            _record(con, changes, applied, baseline_run_id, paths.warehouse, reused)
            con.execute("checkpoint")
    finally:
        con.close()
    return ScenarioResult(
        changes.name, paths.file(changes.name), changes, applied, baseline_run_id, reused
    )


def _reusable(
    con: duckdb.DuckDBPyConnection, models: list[CompiledModel], applied: Applied, digest: str
) -> list[CompiledModel]:
    """The published tables this scenario may keep: none unless the published build's stamp
    is this compiled SQL's; else those reading no extract the changes re-checked."""
    if read_stamp(con) != digest:
        return []
    return reusable_tables(models, _changed_sources(applied))


def _changed_sources(applied: Applied) -> set[str]:
    """The source tables the changes may have altered: the re-checked extracts' raw tables,
    and dq.quarantine, which their re-check rewrites."""
    if not applied.rechecked:
        return set()
    return {f"raw.{extract}" for extract in applied.rechecked} | {"dq.quarantine"}


def _name(model: CompiledModel) -> str:
    return model.relation.split(".")[-1].strip('"')


def _connect(build: Path) -> duckdb.DuckDBPyConnection:
    """The pipeline's DuckDB settings, without the progress bar a long query prints."""
    con = connect(build)
    con.execute("set enable_progress_bar = false")
    return con


def _drop_stale(con: duckdb.DuckDBPyConnection, relations: set[str]) -> None:
    """Drop what the published run had but the project no longer builds (dbt and risk)."""
    catalog = con.execute("select current_database()").fetchall()[0][0]
    risk = {entry.table for entry in RISK_TABLES}
    rows = con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() "
        "where database_name = current_database() union all "
        "select schema_name, view_name, 'view' from duckdb_views() "
        "where database_name = current_database() and not internal"
    ).fetchall()
    for schema, name, kind in rows:
        stale_model = schema in MODEL_SCHEMAS and f"{catalog}.{schema}.{name}" not in relations
        stale_risk = schema == "risk" and f"{schema}.{name}" not in risk
        if stale_model or stale_risk:
            con.execute(f'drop {kind} "{schema}"."{name}"')


def _record(
    con: duckdb.DuckDBPyConnection,
    changes: ChangeSet,
    applied: Applied,
    baseline_run_id: str | None,
    warehouse: Path,
    reused: tuple[str, ...],
) -> None:
    """compare.scenario (one row: what this file is) and compare.changes (one per change)."""
    published_at = datetime.fromtimestamp(warehouse.stat().st_mtime, UTC).replace(tzinfo=None)
    con.execute(
        """
        create or replace table compare.scenario as select
            $name as name, cast($created as timestamp) as created_at,
            $source as changes_file, $warehouse as baseline_warehouse,
            $run_id as baseline_run_id, cast($published as timestamp) as baseline_published_at,
            cast($count as integer) as changes, cast($notes as varchar[]) as notes,
            cast($rechecked as varchar[]) as extracts_rechecked,
            cast($reused as varchar[]) as models_reused
        """,
        {
            "name": changes.name,
            "created": datetime.now(UTC).replace(tzinfo=None),
            "source": changes.source,
            "warehouse": str(warehouse),
            "run_id": baseline_run_id,
            "published": published_at,
            "count": len(changes.changes),
            "notes": list(applied.notes),
            "rechecked": list(applied.rechecked),
            "reused": list(reused),
        },
    )
    con.execute(
        "create or replace table compare.changes (list varchar, position integer, "
        "extract varchar, source_line bigint, change varchar)"
    )
    con.executemany(
        "insert into compare.changes values (?, ?, ?, ?, ?)",
        [
            (
                change.kind.name,
                change.position,
                change.kind.extract,
                applied.lines.get(change.label),
                json.dumps(change.values, sort_keys=True),
            )
            for change in changes.changes
        ],
    )


@contextlib.contextmanager
def _scenario_lock(paths: ScenarioPaths, name: str) -> Iterator[None]:
    """One build of a given scenario name at a time; a second is refused, never queued."""
    paths.build_dir.mkdir(parents=True, exist_ok=True)
    with (paths.build_dir / f"{name}.lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgressError(
                f"scenario {name} is being computed by another process; try again later"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class ListedScenario:
    name: str
    path: Path
    created_at: datetime | None
    baseline_run_id: str | None
    changes: int | None
    moves: int | None
    territories_changed: int | None


def list_scenarios(warehouse: Path) -> list[ListedScenario]:
    """The scenario files beside ``warehouse``, newest first."""
    folder = ScenarioPaths(warehouse).folder
    listed = [_describe(path) for path in folder.glob("*.duckdb")] if folder.is_dir() else []
    return sorted(listed, key=lambda s: s.created_at or datetime.min, reverse=True)


def _describe(path: Path) -> ListedScenario:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            created, run_id, count = con.execute(
                "select created_at, baseline_run_id, changes from compare.scenario"
            ).fetchall()[0]
            moves = con.execute(
                "select count(*) from compare.sellers where risk_direction <> 'same'"
            ).fetchall()[0][0]
            territories = con.execute(
                "select count(*) from compare.territories where changed"
            ).fetchall()[0][0]
    except (duckdb.Error, IndexError):
        return ListedScenario(path.stem, path, None, None, None, None, None)
    return ListedScenario(path.stem, path, created, run_id, count, moves, territories)


def scenario_file(warehouse: Path, name: str) -> Path:
    """The file of scenario ``name`` beside ``warehouse``; UsageError when there is none."""
    from quota_pipeline.scenarios.changes import scenario_name_of

    scenario_name_of(name, "--scenario")
    path = ScenarioPaths(warehouse).file(name)
    if not path.exists():
        raise UsageError(
            f"no scenario {name} in {path.parent} (`quota-pipeline scenarios` lists them)"
        )
    return path
