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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
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
from quota_pipeline.settings import DBT_PROJECT_DIR
from quota_pipeline.transform.stamp import dbt_build_digest

SUPPORTED = ("view", "table")
CACHE_FORMAT = 3


@dataclass(frozen=True)
class CompiledModel:
    unique_id: str
    schema: str
    relation: str
    materialized: str
    sql: str
    depends_on: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # schema.table of every dbt source it reads itself

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
        with _environment({"QUOTA_DBT_DUCKDB_PATH": str(work / f"{catalog}.duckdb")}):
            result = dbtRunner().invoke(arguments)
        if not result.success:
            raise QuotaPipelineError(f"dbt compile failed: {result.exception or 'see dbt log'}")
        manifest = json.loads((work / "target" / "manifest.json").read_text("utf-8"))
    return models_in_order(manifest)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
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
    )


def reusable_tables(models: list[CompiledModel], changed: Set[str]) -> list[CompiledModel]:
    """The tables whose every source, read directly or through other models, is unchanged.

    ``models`` come in dependency order, so a model's ancestors' sources are known first.
    ``changed`` names the changed source tables as schema.table; the caller has checked
    that the published build used the same compiled SQL.
    """
    upstream: dict[str, set[str]] = {}
    for model in models:
        reads = set(model.sources)
        for parent in model.depends_on:
            reads |= upstream.get(parent, set())
        upstream[model.unique_id] = reads
    return [
        model
        for model in models
        if model.materialized == "table" and not upstream[model.unique_id] & changed
    ]


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: list[CompiledModel],
    threads: int = 1,
    keep: Set[str] = frozenset(),
) -> None:
    """Replace every model's relation in ``con`` with its compiled statement.

    A model starts once every model it depends on is built. With ``threads`` > 1,
    independent models run at once on their own cursors, as dbt's threads do; one is the
    default because it measured faster (1M accounts: 11.1 s against 12.1 s with 4, and
    16.3 s against 20.5 s on a busier machine): DuckDB already spreads each statement over
    every core. The DuckDB settings are the dbt profile's (dbt_project/profiles.yml).
    A model in ``keep`` (unique ids) is left as the file has it.
    """
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
                running[pool.submit(_run_model, con, by_id[unique_id])] = unique_id
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
    with _environment({"QUOTA_DBT_DUCKDB_PATH": str(build_file)}):
        result = dbtRunner().invoke(arguments)
    shutil.rmtree(work_dir / "dbt_logs", ignore_errors=True)
    if not result.success:
        raise QuotaPipelineError(f"dbt run failed: {result.exception or 'see dbt log'}")
