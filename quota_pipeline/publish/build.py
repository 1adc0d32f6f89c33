"""One run, one build file; analysts only ever see a whole published file.

DuckDB allows one writer per file and no reader while it writes, so the run writes a
private build file beside the warehouse and, once every blocking check has passed,
replaces the published file with it by an atomic rename. A reader that opened the old
file keeps its inode and goes on reading the previous run; the next connection sees the
new one. Nothing here imports Dagster: the CLI, the assets and the tests share it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from quota_pipeline.errors import RunInProgressError
from quota_pipeline.settings import Settings, duckdb_memory_limit, duckdb_threads


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the pipeline's engine settings."""
    config = {"threads": duckdb_threads(), "memory_limit": duckdb_memory_limit()}
    if not read_only:
        config["temp_directory"] = str(path.parent / ".tmp")
    return duckdb.connect(str(path), read_only=read_only, config=config)


def start_build(settings: Settings) -> Path:
    """Remove what a crashed run left behind and create the run's empty build file."""
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    for leftover in settings.build_dir.glob(settings.build_file.name + "*"):
        leftover.unlink()
    with connect(settings.build_file) as con:
        con.execute("create schema if not exists raw; create schema if not exists dq")
    return settings.build_file


def publish_build(settings: Settings) -> Path:
    """Checkpoint the build file and rename it over the published warehouse."""
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
    _fsync_dir(settings.warehouse.parent)
    return settings.warehouse


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """Hold the build folder's lock for one run; a second run is refused, never queued."""
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    lock_path = settings.build_dir / "run.lock"
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgressError(
                f"{settings.warehouse}: a run is already in progress ({holder}); try again later"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
