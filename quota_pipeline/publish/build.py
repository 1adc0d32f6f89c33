"""One run, one build file; analysts only ever see a whole published file.

DuckDB allows one writer per file and no reader while it writes, so the run writes a
private build file beside the warehouse and, once every blocking check has passed,
replaces the published file with it by an atomic rename. A reader that opened the old
file keeps its inode and goes on reading the previous run; the next connection sees the
new one. Nothing here imports Dagster: the CLI, the assets and the tests share it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from quota_pipeline.publish.retention import keep_in_history
from quota_pipeline.settings import Settings
from quota_pipeline.warehouse.duckdb_files import connect, fsync_dir

# What a run prepares beside its build file and publishes with it (report, dbt docs).
BUILD_REPORT_NAME = "report.html"
BUILD_DOCS_NAME = "docs"


def start_build(settings: Settings) -> Path:
    """Remove what a crashed run left behind and create the run's empty build file."""
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    for leftover in settings.build_dir.glob(settings.build_file.name + "*"):
        leftover.unlink()
    for leftover in (
        *settings.build_dir.glob("rollback-*"),
        settings.build_dir / BUILD_REPORT_NAME,
    ):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(settings.build_dir / BUILD_DOCS_NAME, ignore_errors=True)
    with connect(settings.build_file) as con:
        con.execute("create schema if not exists raw; create schema if not exists dq")
    return settings.build_file


def publish_build(
    settings: Settings, *, run_id: str | None = None, keep_published_runs: int | None = None
) -> Path:
    """Checkpoint the build file and rename it over the published warehouse.

    With a run id and a count, the published file is then hard-linked into history/ (free:
    same inode) and history is pruned to the newest ``keep_published_runs`` entries.
    """
    build = settings.build_file
    if not build.exists():
        raise FileNotFoundError(f"{build}: no build file to publish (was the run started?)")
    with connect(build) as con:
        con.execute("checkpoint")
    wal = build.with_name(build.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal}: build file still has a write-ahead log; not published")
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    os.replace(build, settings.warehouse)
    fsync_dir(settings.warehouse.parent)
    if run_id is not None and keep_published_runs is not None:
        # Linked only once published: a run killed before the rename must not leave a
        # history entry that `rollback` would take for the newest published run.
        keep_in_history(settings.warehouse, settings.warehouse, run_id, keep_published_runs)
    return settings.warehouse


def publish_artifacts(settings: Settings, stamp: str) -> dict[str, Path]:
    """Move the run's report and dbt docs from the build folder beside the warehouse.

    The report goes to reports/report-<stamp>.html and is linked as report.html (the
    latest); the docs folder replaces docs/. Call it right after publish_build.
    """
    published: dict[str, Path] = {}
    report = settings.build_dir / BUILD_REPORT_NAME
    if report.exists():
        reports = settings.warehouse.parent / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        kept = reports / f"report-{stamp}.html"
        os.replace(report, kept)
        latest_staged = settings.build_dir / f"{BUILD_REPORT_NAME}.latest"
        latest_staged.unlink(missing_ok=True)
        shutil.copy2(kept, latest_staged)
        latest = settings.warehouse.parent / BUILD_REPORT_NAME
        os.replace(latest_staged, latest)
        published["report"] = latest
        published["report_archived"] = kept
    docs = settings.build_dir / BUILD_DOCS_NAME
    if docs.is_dir():
        target = settings.warehouse.parent / BUILD_DOCS_NAME
        retired = settings.build_dir / f"{BUILD_DOCS_NAME}.retired"
        shutil.rmtree(retired, ignore_errors=True)
        if target.exists():
            os.replace(target, retired)
        os.replace(docs, target)
        shutil.rmtree(retired, ignore_errors=True)
        published["docs"] = target / "index.html"
    return published
