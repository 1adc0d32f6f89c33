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
    Rebuild,
    all_supported,
    columns_read,
    compiled_models,
    plan_rebuild,
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
    # models whose rows were rebuilt only for the sellers the changes touch (schema.name)
    partly_rebuilt: tuple[str, ...] = ()
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
            _snapshot_seller_rows(con)
            applied = apply_changes(con, changes, policy)
        with stages.stage("dbt models"):
            models = compiled_models(policy, paths.warehouse.stem, paths.cache_dir)
            digest = dbt_build_digest(policy, paths.warehouse.stem)
            if all_supported(models):
                plan = _rebuild_plan(con, models, applied, digest)
                kept_models, scoped = plan.kept, plan.scoped
                run_models(
                    con, models, keep={model.unique_id for model in kept_models}, scoped=scoped
                )
                reused = tuple(f"{model.schema}.{_name(model)}" for model in kept_models)
                partly = tuple(
                    f"{model.schema}.{_name(model)}"
                    for model in models
                    if model.unique_id in scoped
                )
            else:
                con.close()
                run_dbt_in_process(build, policy, build.parent)
                con = _connect(build)
                reused, partly = (), ()
            write_stamp(con, digest)
            _drop_stale(con, {model.relation.replace('"', "") for model in models})
        with stages.stage("risk"):
            compute_all(con, policy, lambda table: read_baseline(con, kept, table))
        with stages.stage("compare"):
            build_compare(con, kept)
            drop_baseline(con)
            _record(con, changes, applied, baseline_run_id, paths.warehouse, (reused, partly))
            con.execute("checkpoint")
    finally:
        con.close()
    return ScenarioResult(
        changes.name,
        paths.file(changes.name),
        changes,
        applied,
        baseline_run_id,
        reused,
        partly_rebuilt=partly,
    )


def _rebuild_plan(
    con: duckdb.DuckDBPyConnection, models: list[CompiledModel], applied: Applied, digest: str
) -> Rebuild:
    """The published tables this scenario keeps, and those it rebuilds for the changed
    sellers only: none of either unless the published build's stamp is this compiled
    SQL's. A table whose SQL reads no seller column of a SELLER_ROWS table in which
    nothing but that column changed (a move) is not reached by that table."""
    if read_stamp(con) != digest:
        return Rebuild((), {})
    changed = _changed_sources(applied)
    sellers, owner_only = _changed_sellers(con)
    unread: dict[str, set[str]] = {}
    for model in models:
        if model.materialized != "table":
            continue
        for table in owner_only & changed:
            read = columns_read(con, model.sql, table)
            if read is not None and SELLER_ROWS[table] not in read:
                unread.setdefault(model.unique_id, set()).add(table)
    return plan_rebuild(models, changed, set(SELLER_ROWS), SELLER_PARTITION, sellers, unread)


# The raw tables whose rows belong to one seller, and the column that names that seller:
# a changed row of these changes only the partitions (meta.scenario_partition: seller_id)
# of the sellers it named before and after the change.
SELLER_ROWS = {"raw.accounts": "owner_seller_id", "raw.sellers": "seller_id"}
SELLER_PARTITION = "seller_id"


def _snapshot_seller_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Each row of SELLER_ROWS as its seller and two hashes of what models read of it, with
    and without the seller, before the changes apply (see ``_changed_sellers``)."""
    for table in SELLER_ROWS:
        con.execute(f"create or replace temp table {_snapshot(table)} as {_hashed(con, table)}")


def _changed_sellers(con: duckdb.DuckDBPyConnection) -> tuple[set[str | None], set[str]]:
    """The sellers of every row of SELLER_ROWS the changes added, removed or altered
    (quarantine included: a moved account names its old and its new owner), and the
    tables in which nothing but the seller column changed (the other columns' rows are
    the same multiset as before)."""
    sellers: set[str | None] = set()
    seller_only: set[str] = set()
    for table in SELLER_ROWS:
        # each row counted +1 now and -1 before: what does not cancel out changed
        con.execute(
            "create or replace temp table scenario_row_changes as "
            f"select *, 1 as sign from ({_hashed(con, table)}) "
            f"union all select *, -1 as sign from {_snapshot(table)}"
        )
        rows = con.execute(
            "select distinct seller from (select seller, row_hash from scenario_row_changes "
            "group by all having sum(sign) <> 0)"
        ).fetchall()
        sellers |= {value for (value,) in rows}
        (rest_changed,) = con.execute(
            "select count(*) from (select rest_hash from scenario_row_changes "
            "group by all having sum(sign) <> 0)"
        ).fetchall()[0]
        if rows and not rest_changed:
            seller_only.add(table)
    con.execute("drop table if exists scenario_row_changes")
    return sellers, seller_only


def _snapshot(table: str) -> str:
    return "scenario_before_" + table.replace(".", "_")


def _hashed(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The seller, a hash of every column of the row, and one of all but the seller (the
    lineage columns included: an update keeps its line, and a model may read it)."""
    schema, name = table.split(".")
    columns = con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = $schema and table_name = $name order by column_index",
        {"schema": schema, "name": name},
    ).fetchall()
    read = [column for (column,) in columns]
    rest = [column for column in read if column != SELLER_ROWS[table]]
    return (
        f"select {SELLER_ROWS[table]} as seller, hash({_listed(read)}) as row_hash, "
        f"hash({_listed(rest)}) as rest_hash from {table}"
    )


def _listed(columns: list[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


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
    models: tuple[tuple[str, ...], tuple[str, ...]],
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
            cast($reused as varchar[]) as models_reused,
            cast($partly as varchar[]) as models_partly_rebuilt
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
            "reused": list(models[0]),
            "partly": list(models[1]),
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
