"""Keep the last N published warehouses, and put one of them back (rollback).

Each publish hard-links the build file into ``<warehouse dir>/history/`` before renaming
it over the warehouse, so the history entry and the published file are one inode: keeping
a run costs no copy and no time, only the disk blocks of runs that are no longer
published. A rollback links a history entry into the build folder and renames it over the
warehouse, the same atomic swap as a publish, so readers never see a half-restored file.
A reader never writes (read-only connections), so sharing the inode is safe.

Beside each kept warehouse lie the planning report and the dbt docs site that were
published with it (``<entry>.report.html``, ``<entry>.docs/``, hard links as well), so a
rollback puts back everything the run published, not only its tables.

The choice of what to keep and what a ``--to`` argument means is plain logic over names
(``<UTC time>_<run_id>.duckdb``), tested without any file system.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from quota_pipeline.errors import UsageError
from quota_pipeline.warehouse.duckdb_files import fsync_dir, run_lock

HISTORY_DIR_NAME = "history"
REPORT_SUFFIX = ".report.html"
DOCS_SUFFIX = ".docs"
# where the publish puts them beside the warehouse (publish/build.py)
REPORT_NAME = "report.html"
DOCS_NAME = "docs"
_ENTRY = re.compile(r"^(?P<stamp>\d{8}T\d{6}\d{6})_(?P<run_id>[A-Za-z0-9._-]+)\.duckdb$")
_RUN_ID = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True, order=True)
class HistoryEntry:
    """One kept warehouse: when it was published, by which run, and where it lies."""

    published_at: datetime
    run_id: str
    path: Path

    @property
    def file_name(self) -> str:
        return entry_name(self.published_at, self.run_id)

    @property
    def report(self) -> Path:
        """The planning report published with this run (kept beside it)."""
        return self.path.with_name(self.path.stem + REPORT_SUFFIX)

    @property
    def docs(self) -> Path:
        """The dbt docs site published with this run (kept beside it)."""
        return self.path.with_name(self.path.stem + DOCS_SUFFIX)


def entry_name(published_at: datetime, run_id: str) -> str:
    """The history file name of a run published at ``published_at``."""
    if not _RUN_ID.match(run_id):
        raise ValueError(f"{run_id!r} is not a usable run id (letters, digits, . _ - only)")
    return f"{published_at:%Y%m%dT%H%M%S%f}_{run_id}.duckdb"


def parse_entry(path: Path) -> HistoryEntry | None:
    """The entry a history file stands for; None for a file that is not one."""
    match = _ENTRY.match(path.name)
    if match is None:
        return None
    published_at = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S%f")
    return HistoryEntry(published_at=published_at, run_id=match["run_id"], path=path)


def entries_to_prune(entries: list[HistoryEntry], keep: int) -> list[HistoryEntry]:
    """Every entry but the ``keep`` newest ones (keep >= 1: the published run stays)."""
    if keep < 1:
        raise ValueError("keep must be at least 1: the published run is always kept")
    return sorted(entries, reverse=True)[keep:]


def choose_rollback(
    entries: list[HistoryEntry], current_run: str | None, to: str | None
) -> HistoryEntry:
    """The entry a rollback restores.

    Without ``to``: the newest entry that is not the published run (the run before it).
    With ``to``: the entry whose run id is ``to`` or starts with it (one match only).
    """
    newest_first = sorted(entries, reverse=True)
    if to is None:
        older = [entry for entry in newest_first if entry.run_id != current_run]
        if not older:
            raise UsageError("no earlier published run is kept in history: nothing to roll back to")
        return older[0]
    matches = [entry for entry in newest_first if entry.run_id.startswith(to)]
    if not matches:
        known = ", ".join(entry.run_id for entry in newest_first) or "none"
        raise UsageError(f"no kept run matches {to!r} (kept runs: {known})")
    if len({entry.run_id for entry in matches}) > 1:
        raise UsageError(f"{to!r} matches {len(matches)} kept runs: give more of the run id")
    return matches[0]


def history_dir(warehouse: Path) -> Path:
    return warehouse.parent / HISTORY_DIR_NAME


def list_history(warehouse: Path) -> list[HistoryEntry]:
    """Kept warehouses, newest first."""
    folder = history_dir(warehouse)
    if not folder.is_dir():
        return []
    entries = (parse_entry(path) for path in folder.iterdir())
    return sorted((entry for entry in entries if entry is not None), reverse=True)


def keep_in_history(build_file: Path, warehouse: Path, run_id: str, keep: int) -> Path:
    """Hard-link the build file into history (before it is published) and prune old runs."""
    folder = history_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / entry_name(datetime.now(UTC).replace(tzinfo=None), run_id)
    # A file system without hard links: a copy costs time and disk but still works.
    _link_or_copy(str(build_file), str(target))
    prune_history(warehouse, keep)
    return target


def prune_history(warehouse: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest history entries; the removed paths."""
    removed = []
    for entry in entries_to_prune(list_history(warehouse), keep):
        entry.path.unlink(missing_ok=True)
        entry.report.unlink(missing_ok=True)
        shutil.rmtree(entry.docs, ignore_errors=True)
        removed.append(entry.path)
    return removed


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _link_tree(source: Path, target: Path) -> None:
    """``target`` as a tree of hard links to ``source``'s files (copies where links fail)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=_link_or_copy)


def keep_artifacts(warehouse: Path, run_id: str) -> HistoryEntry | None:
    """Link the report and dbt docs published beside ``warehouse`` to the run's history
    entry (call it right after the publish); the entry, or None when it is not kept."""
    entry = next((e for e in list_history(warehouse) if e.run_id == run_id), None)
    if entry is None:
        return None
    report = warehouse.parent / REPORT_NAME
    if report.is_file():
        entry.report.unlink(missing_ok=True)
        _link_or_copy(str(report), str(entry.report))
    docs = warehouse.parent / DOCS_NAME
    if docs.is_dir():
        _link_tree(docs, entry.docs)
    return entry


def restore_artifacts(entry: HistoryEntry, warehouse: Path, staging_dir: Path) -> list[str]:
    """Put back the report and dbt docs kept with ``entry``, each replaced in one rename;
    the names of what was restored."""
    restored = []
    if entry.report.is_file():
        staged = staging_dir / f"rollback-{REPORT_NAME}"
        staged.unlink(missing_ok=True)
        _link_or_copy(str(entry.report), str(staged))
        os.replace(staged, warehouse.parent / REPORT_NAME)
        restored.append(REPORT_NAME)
    if entry.docs.is_dir():
        staged = staging_dir / f"{DOCS_NAME}.rollback"  # a folder: not a rollback-* file
        _link_tree(entry.docs, staged)
        published = warehouse.parent / DOCS_NAME
        retired = staging_dir / f"{DOCS_NAME}.rollback.retired"
        shutil.rmtree(retired, ignore_errors=True)
        if published.exists():
            os.replace(published, retired)
        os.replace(staged, published)
        shutil.rmtree(retired, ignore_errors=True)
        restored.append(f"{DOCS_NAME}/")
    return restored


def published_run_id(warehouse: Path) -> str | None:
    """The run whose history entry is the published file itself (same inode), if kept."""
    if not warehouse.exists():
        return None
    published = warehouse.stat()
    for entry in list_history(warehouse):
        kept = entry.path.stat()
        if (kept.st_dev, kept.st_ino) == (published.st_dev, published.st_ino):
            return entry.run_id
    return None


def restore(entry: HistoryEntry, warehouse: Path, staging_dir: Path) -> Path:
    """Atomically make ``entry`` the published warehouse (link, then rename over it)."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    staged = staging_dir / f"rollback-{entry.file_name}"
    staged.unlink(missing_ok=True)
    _link_or_copy(str(entry.path), str(staged))
    os.replace(staged, warehouse)
    fsync_dir(warehouse.parent)
    return warehouse


def prune_reports(folder: Path, keep: int) -> list[Path]:
    """Keep the ``keep`` newest report-<UTC time>.html files (names sort by time)."""
    if not folder.is_dir():
        return []
    reports = sorted(folder.glob("report-*.html"), reverse=True)
    for old in reports[keep:]:
        old.unlink(missing_ok=True)
    return reports[keep:]


@dataclass(frozen=True)
class RollbackResult:
    restored: HistoryEntry
    replaced_run: str | None
    record_id: str
    artifacts: tuple[str, ...] = ()


def rollback(warehouse: Path, build_dir: Path, ops_db: Path, to: str | None) -> RollbackResult:
    """Restore a kept run over the published warehouse, under the run lock; log it."""
    from quota_pipeline.publish.opsdb import RunRecord, record_run

    started = datetime.now(UTC).replace(tzinfo=None)
    with run_lock(build_dir, guarded=warehouse):
        current = published_run_id(warehouse)
        entry = choose_rollback(list_history(warehouse), current, to)
        if entry.run_id == current:
            raise UsageError(f"run {entry.run_id} is already the published warehouse")
        restore(entry, warehouse, build_dir)
        artifacts = tuple(restore_artifacts(entry, warehouse, build_dir))
    record_id = f"rollback-{started:%Y%m%dT%H%M%S%f}"
    record_run(
        ops_db,
        RunRecord(
            run_id=record_id,
            started_at=started,
            finished_at=datetime.now(UTC).replace(tzinfo=None),
            status="rollback",
            message=(
                f"rolled back to run {entry.run_id} (published "
                f"{entry.published_at:%Y-%m-%d %H:%M:%S} UTC), replacing run {current or 'unknown'}"
            ),
            fingerprint=_fingerprint_of(ops_db, entry.run_id),
        ),
    )
    return RollbackResult(
        restored=entry, replaced_run=current, record_id=record_id, artifacts=artifacts
    )


def _fingerprint_of(ops_db: Path, run_id: str) -> str | None:
    """The input fingerprint the restored run was published with, if the run log has it."""
    import duckdb

    if not ops_db.exists():
        return None
    with duckdb.connect(str(ops_db), read_only=True) as con:
        rows = con.execute(
            "select fingerprint from run_log where run_id = $run_id", {"run_id": run_id}
        ).fetchall()
    return rows[0][0] if rows else None
