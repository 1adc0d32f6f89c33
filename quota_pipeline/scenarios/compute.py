"""Run every dbt model and every risk table of the nightly job on a scenario file, fast.

The nightly run pays dbt's start-up (import, parse, adapter, per-node overhead) and its
tests; a scenario needs only the models' results. So the SQL dbt compiles for each model
(same project, same --vars from the policy, same target) is cached once per version of the
project, and a scenario executes it in dependency order on its own connection, with the
statement dbt-duckdb's materializations run: ``create view ... as (sql)`` or
``create table ... as (sql)``. The cache key covers every file of the project, the vars,
dbt's and dbt-duckdb's versions and the catalog name, so a changed model or policy is
compiled again, never run stale. A model whose materialization is anything else (or has
hooks or an enforced contract) makes the scenario run dbt itself, in process.

A table none of whose raw sources a scenario changed (through every model it reads) is
kept as the published warehouse has it, not rebuilt, but only when the published build's
stamp (quota_pipeline/transform/stamp.py) proves it was built by this very compiled SQL:
the same rows through the same SQL give the same table (docs/contract.md section 6).

A table whose YAML declares ``meta: {scenario_partition: <column>}`` says that its rows
for one value of that column (a seller) depend only on the input rows of that value. When
the only raw tables a scenario changed reach it through views alone, only the partitions
the changed rows belong to are rebuilt: the same compiled SQL, filtered on the column
(DuckDB pushes the filter through the model's windows down to the scan), replaces those
rows, and every other row stays as published.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Set
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb

from quota_pipeline.errors import QuotaPipelineError
from quota_pipeline.policy import Policy
from quota_pipeline.settings import DBT_PROJECT_DIR, scoped_environment
from quota_pipeline.transform.stamp import dbt_build_digest

SUPPORTED = ("view", "table")
CACHE_FORMAT = 4
# Above this many partitions a scoped rebuild is not worth its filter: the whole table is.
MAX_SCOPED_PARTITIONS = 500


@dataclass(frozen=True)
class CompiledModel:
    unique_id: str
    schema: str
    relation: str
    materialized: str
    sql: str
    depends_on: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # schema.table of every dbt source it reads itself
    partition: str | None = None  # meta.scenario_partition: a column rows depend on alone

    def statement(self) -> str:
        """The DDL dbt-duckdb's view or table materialization runs for this model."""
        return f"create {self.materialized} {self.relation} as (\n{self.sql}\n)"


def project_key(policy: Policy, catalog: str) -> str:
    """The cache key: the dbt build digest (transform/stamp.py) and this cache's format."""
    digest = f"{dbt_build_digest(policy, catalog)};format={CACHE_FORMAT}"
    return hashlib.sha256(digest.encode()).hexdigest()[:24]


def compiled_models(policy: Policy, catalog: str, cache_dir: Path) -> list[CompiledModel]:
    """The project's models in dependency order, compiled (cached in ``cache_dir``)."""
    cached = cache_dir / f"dbt-models-{project_key(policy, catalog)}.json"
    if cached.exists():
        return [
            CompiledModel(
                **{
                    **entry,
                    "depends_on": tuple(entry["depends_on"]),
                    "sources": tuple(entry["sources"]),
                }
            )
            for entry in json.loads(cached.read_text("utf-8"))
        ]
    models = _compile(policy, catalog)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.name + f".{os.getpid()}.partial")
    partial.write_text(json.dumps([model.__dict__ for model in models]), encoding="utf-8")
    partial.replace(cached)
    return models


def _compile(policy: Policy, catalog: str) -> list[CompiledModel]:
    """`dbt compile` of every model, in process, against an empty file named like the
    warehouse (dbt-duckdb names relations by the file's catalog)."""
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix="quota-scenario-dbt-") as scratch:
        work = Path(scratch)
        arguments = [
            "compile",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target", "duckdb",
            "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
            "--vars", json.dumps(policy.dbt_vars(), sort_keys=True),
            "--select", "resource_type:model",
            "--no-partial-parse",
            "--quiet",
        ]  # fmt: skip
        with scoped_environment({"QUOTA_DBT_DUCKDB_PATH": str(work / f"{catalog}.duckdb")}):
            result = dbtRunner().invoke(arguments)
        if not result.success:
            raise QuotaPipelineError(f"dbt compile failed: {result.exception or 'see dbt log'}")
        manifest = json.loads((work / "target" / "manifest.json").read_text("utf-8"))
    return models_in_order(manifest)


def models_in_order(manifest: Mapping[str, Any]) -> list[CompiledModel]:
    """Every enabled model of a compiled manifest, each after the models it depends on."""
    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    parents = {
        uid: tuple(dep for dep in node["depends_on"]["nodes"] if dep in nodes)
        for uid, node in nodes.items()
    }
    tables = {
        uid: f"{source['schema']}.{source.get('identifier') or source['name']}"
        for uid, source in manifest.get("sources", {}).items()
    }
    sources = {
        uid: tuple(tables[dep] for dep in node["depends_on"]["nodes"] if dep in tables)
        for uid, node in nodes.items()
    }
    graph = TopologicalSorter(parents)
    return [_model(nodes[uid], parents[uid], sources[uid]) for uid in graph.static_order()]


def _model(
    node: Mapping[str, Any], parents: tuple[str, ...], sources: tuple[str, ...]
) -> CompiledModel:
    config = node["config"]
    materialized = config["materialized"]
    if (
        materialized not in SUPPORTED
        or config.get("pre-hook")
        or config.get("post-hook")
        or (config.get("contract") or {}).get("enforced")
    ):
        materialized = "unsupported:" + materialized
    return CompiledModel(
        unique_id=node["unique_id"],
        schema=node["schema"],
        relation=node["relation_name"],
        materialized=materialized,
        sql=node.get("compiled_code") or "",
        depends_on=parents,
        sources=sources,
        partition=(config.get("meta") or {}).get("scenario_partition"),
    )


@dataclass(frozen=True)
class Rebuild:
    """What a scenario does with the published tables: keep some, rebuild some in part."""

    kept: tuple[CompiledModel, ...]
    scoped: dict[str, tuple[str, ...]]  # unique id -> partition values to rebuild


def plan_rebuild(
    models: list[CompiledModel],
    changed: Set[str],
    covered: Set[str] = frozenset(),
    column: str | None = None,
    partitions: Set[str | None] = frozenset(),
    unread: Mapping[str, Set[str]] | None = None,
) -> Rebuild:
    """Which tables a scenario keeps as published, and which it rebuilds in part.

    ``models`` come in dependency order; ``changed`` names the source tables (schema.table)
    the changes altered; the caller has checked that the published build used the same
    compiled SQL. A table is reached by a changed source read directly or through views
    (its own SQL, views expanded), or by a table it reads that is itself reached.
    ``unread`` (unique id -> source tables) lists changed sources a table's own SQL does
    not read any changed column of: they do not reach it that way.

    - kept: tables no changed source reaches;
    - scoped: tables that declare ``column`` their partition and are reached only through
      views, only by ``covered`` sources; ``partitions`` are the ``column`` values of
      every changed row of those, so only their rows are rebuilt. A null value never
      has rows (partition columns are keys). Past MAX_SCOPED_PARTITIONS, none.
    """
    unread = unread or {}
    by_id = {model.unique_id: model for model in models}
    # changed sources that reach each model through views only (its own SQL's scans), and
    # those that reach it through a table it reads, directly or behind views
    direct: dict[str, set[str]] = {}
    through_tables: dict[str, set[str]] = {}
    kept: list[CompiledModel] = []
    scoped: dict[str, tuple[str, ...]] = {}
    values = tuple(sorted(value for value in partitions if value is not None))
    for model in models:
        own, behind = set(model.sources) & changed, set()
        for parent_id in model.depends_on:
            parent = by_id.get(parent_id)
            if parent is None:
                continue
            if parent.materialized == "table":
                behind |= _reaching(parent, direct, through_tables, unread)
            else:
                own |= direct[parent_id]
                behind |= through_tables[parent_id]
        direct[model.unique_id], through_tables[model.unique_id] = own, behind
        if model.materialized != "table":
            continue
        if not _reaching(model, direct, through_tables, unread):
            kept.append(model)
        elif (
            column is not None
            and model.partition == column
            and not behind
            and own <= covered
            and len(values) <= MAX_SCOPED_PARTITIONS
        ):
            scoped[model.unique_id] = values
    return Rebuild(tuple(kept), scoped)


def _reaching(
    model: CompiledModel,
    direct: Mapping[str, set[str]],
    through_tables: Mapping[str, set[str]],
    unread: Mapping[str, Set[str]],
) -> set[str]:
    """The changed sources that can alter a table: those its own SQL reads a changed
    column of, and every one behind a table it reads."""
    own = direct[model.unique_id] - set(unread.get(model.unique_id, ()))
    return own | through_tables[model.unique_id]


def columns_read(con: duckdb.DuckDBPyConnection, sql: str, table: str) -> set[str] | None:
    """The columns of ``table`` (schema.table) that ``sql`` reads, from DuckDB's plan:
    what each scan of it projects, and every column its pushed-down filters name. None
    when the plan has no plain scan of it (then take every column as read).

    Planned without statistics propagation: that optimizer drops a filter the data
    happens to make always true (no quarantined row: ``not _is_quarantined`` is gone), and
    a column read only by such a filter is still read.
    """
    schema, name = table.split(".")
    known = {
        column
        for (column,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database()"
            " and schema_name = $schema and table_name = $name",
            {"schema": schema, "name": name},
        ).fetchall()
    }
    (disabled,) = con.execute("select current_setting('disabled_optimizers')").fetchall()[0]
    con.execute("set disabled_optimizers = 'statistics_propagation'")
    try:
        plan = json.loads(con.execute(f"explain (format json) {sql}").fetchall()[0][1])
    finally:
        con.execute(f"set disabled_optimizers = '{disabled}'")
    scans = list(_scans_of(plan, f".{schema}.{name}"))
    if not scans:
        return None
    read: set[str] = set()
    for info in scans:
        projected = info.get("Projections") or []
        read |= set([projected] if isinstance(projected, str) else projected)
        filters = info.get("Filters") or ""
        filters = " ".join(filters) if isinstance(filters, list) else str(filters)
        read |= {word for word in re.findall(r"\w+", filters) if word in known}
    return read & known if read <= known else None


def _scans_of(node: Any, suffix: str) -> Iterator[dict[str, Any]]:
    """The extra_info of every sequential scan of the table ending in ``suffix``."""
    if isinstance(node, list):
        for child in node:
            yield from _scans_of(child, suffix)
    elif isinstance(node, dict):
        info = node.get("extra_info") or {}
        if node.get("name") == "SEQ_SCAN" and str(info.get("Table", "")).endswith(suffix):
            yield info
        for child in node.get("children") or []:
            yield from _scans_of(child, suffix)


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: list[CompiledModel],
    threads: int = 1,
    keep: Set[str] = frozenset(),
    scoped: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    """Replace every model's relation in ``con`` with its compiled statement.

    A model starts once every model it depends on is built. With ``threads`` > 1,
    independent models run at once on their own cursors, as dbt's threads do; one is the
    default because it measured faster (1M accounts: 11.1 s against 12.1 s with 4, and
    16.3 s against 20.5 s on a busier machine): DuckDB already spreads each statement over
    every core. The DuckDB settings are the dbt profile's (dbt_project/profiles.yml).
    A model in ``keep`` (unique ids) is left as the file has it; a model in ``scoped`` has
    only the rows of the given partition values rebuilt (``plan_rebuild``).
    """
    scoped = scoped or {}
    for schema in sorted({model.schema for model in models}):
        con.execute(f'create schema if not exists "{schema}"')
    by_id = {model.unique_id: model for model in models}
    graph = TopologicalSorter(
        {model.unique_id: [d for d in model.depends_on if d in by_id] for model in models}
    )
    graph.prepare()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        running: dict[Future[None], str] = {}
        while graph.is_active():
            for unique_id in graph.get_ready():
                if unique_id in keep:
                    graph.done(unique_id)
                    continue
                model = by_id[unique_id]
                if unique_id in scoped:
                    task = pool.submit(_rebuild_partitions, con, model, scoped[unique_id])
                else:
                    task = pool.submit(_run_model, con, model)
                running[task] = unique_id
            if not running:
                continue
            finished, _pending = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()
                graph.done(running.pop(future))


def _run_model(con: duckdb.DuckDBPyConnection, model: CompiledModel) -> None:
    """Drop what the relation is now (a view may have become a table) and build it."""
    with con.cursor() as cursor:
        cursor.execute("set preserve_insertion_order = false")
        name = model.relation.split(".")[-1].strip('"')
        kind = cursor.execute(
            "select 'table' from duckdb_tables() where database_name = current_database() "
            "and schema_name = $schema and table_name = $name union all "
            "select 'view' from duckdb_views() where database_name = current_database() "
            "and schema_name = $schema and view_name = $name",
            {"schema": model.schema, "name": name},
        ).fetchall()
        for (existing,) in kind:
            cursor.execute(f"drop {existing} {model.relation}")
        cursor.execute(model.statement())


def _rebuild_partitions(
    con: duckdb.DuckDBPyConnection, model: CompiledModel, values: tuple[str, ...]
) -> None:
    """Replace the rows of ``values`` (of the model's partition column) by what its
    compiled SQL gives for them now; a literal list, so that DuckDB pushes the filter
    through the model's windows and joins down to the scans."""
    if not values:
        return
    column = f'"{model.partition}"'
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    with con.cursor() as cursor:
        cursor.execute("set preserve_insertion_order = false")
        cursor.execute(f"delete from {model.relation} where {column} in ({listed})")
        cursor.execute(
            f"insert into {model.relation} by name select * from (\n{model.sql}\n) "
            f"as partitioned where {column} in ({listed})"
        )


def all_supported(models: list[CompiledModel]) -> bool:
    return all(model.materialized in SUPPORTED for model in models)


def run_dbt_in_process(build_file: Path, policy: Policy, work_dir: Path) -> None:
    """The fallback: `dbt run` of every model in this process, on ``build_file``."""
    from dbt.cli.main import dbtRunner

    target = work_dir / "dbt_target"
    arguments = [
        "run",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", "duckdb",
        "--target-path", str(target),
        "--log-path", str(work_dir / "dbt_logs"),
        "--vars", json.dumps(policy.dbt_vars(), sort_keys=True),
        "--no-write-json",
        "--quiet",
    ]  # fmt: skip
    with scoped_environment({"QUOTA_DBT_DUCKDB_PATH": str(build_file)}):
        result = dbtRunner().invoke(arguments)
    shutil.rmtree(work_dir / "dbt_logs", ignore_errors=True)
    if not result.success:
        raise QuotaPipelineError(f"dbt run failed: {result.exception or 'see dbt log'}")
