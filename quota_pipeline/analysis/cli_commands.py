"""`quota-pipeline query | tables | rollback`: the analysts' and operators' commands.

Kept out of cli.py so the argument parser stays one screen and these imports (rich,
pyarrow) load only when used. Every user mistake raises a UsageError (one line, exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from quota_pipeline.analysis.query import execute as execute_query
from quota_pipeline.analysis.query import export, export_parquet, open_read_only, print_result
from quota_pipeline.analysis.tables import list_tables
from quota_pipeline.settings import Settings


def _paths(arguments: argparse.Namespace) -> tuple[Path, Path]:
    base = Settings.from_env()
    warehouse = (arguments.warehouse or base.warehouse).expanduser().resolve()
    return warehouse, base.ops_db


def query(arguments: argparse.Namespace) -> int:
    warehouse, ops_db = _paths(arguments)
    if getattr(arguments, "scenario", None):
        from quota_pipeline.scenarios.run import scenario_file

        warehouse = scenario_file(warehouse, arguments.scenario)
    opened = open_read_only(warehouse, ops_db)
    with opened.connection as con:
        if not opened.ops_attached and ops_db.exists():
            print(
                "quota-pipeline: ops not attached (a run is writing it); go on without it",
                file=sys.stderr,
            )
        if arguments.format == "parquet":
            count = export_parquet(con, arguments.sql, arguments.output)
            print(f"{count:,} rows written to {arguments.output} (parquet)", file=sys.stderr)
            return 0
        columns = execute_query(con, arguments.sql)
        if arguments.format == "table":
            if arguments.output is not None:
                print(
                    "quota-pipeline: --output needs --format csv, json or parquet", file=sys.stderr
                )
                return 2
            print_result(con, columns, arguments.max_rows, Console(soft_wrap=False))
            return 0
        count = export(con, columns, arguments.format, arguments.output)
    if arguments.output is not None:
        print(f"{count:,} rows written to {arguments.output} ({arguments.format})", file=sys.stderr)
    return 0


def tables(arguments: argparse.Namespace) -> int:
    warehouse, ops_db = _paths(arguments)
    opened = open_read_only(warehouse, ops_db)
    with opened.connection as con:
        listed = list_tables(con, count_views=arguments.views)
    table = Table(title=f"{warehouse}", title_justify="left", header_style="bold")
    table.add_column("table", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("description (first sentence)", overflow="fold", min_width=40)
    for info in listed:
        rows = "" if info.rows is None else f"{info.rows:,}"
        table.add_row(
            f"{info.schema}.{info.table}", info.kind, rows, first_sentence(info.description)
        )
    console = Console()
    console.width = max(console.width, 120)
    console.print(table)
    print("full descriptions: select * from docs.table_descriptions / docs.column_descriptions")
    return 0


def first_sentence(text: str) -> str:
    head, _dot, _rest = text.partition(". ")
    return head if head.endswith(".") or not _rest else head + "."


def rollback(arguments: argparse.Namespace) -> int:
    from quota_pipeline.publish.retention import list_history, published_run_id
    from quota_pipeline.publish.retention import rollback as restore_run

    warehouse, ops_db = _paths(arguments)
    if arguments.list:
        current = published_run_id(warehouse)
        table = Table(title="kept published runs (newest first)", title_justify="left")
        for name in ("published at (UTC)", "run id", "size", ""):
            table.add_column(name, no_wrap=True)
        for entry in list_history(warehouse):
            size = f"{entry.path.stat().st_size / 1e6:,.1f} MB"
            mark = "published" if entry.run_id == current else ""
            table.add_row(f"{entry.published_at:%Y-%m-%d %H:%M:%S}", entry.run_id, size, mark)
        console = Console()
        console.width = max(console.width, 100)
        console.print(table)
        return 0
    result = restore_run(warehouse, warehouse.parent / ".build", ops_db, arguments.to)
    print(
        f"rolled back {warehouse} to run {result.restored.run_id} "
        f"(published {result.restored.published_at:%Y-%m-%d %H:%M:%S} UTC); "
        f"logged as {result.record_id}"
    )
    restored = " and ".join(result.artifacts)
    if restored:
        print(f"restored {restored} of run {result.restored.run_id}")
    else:
        print(f"run {result.restored.run_id} kept no report or dbt docs: both left as they were")
    print(f"published run: {result.restored.run_id}")
    return 0
