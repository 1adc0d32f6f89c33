"""DuckDB files on disk: opening one with the pipeline's settings, the run lock, and
making a rename durable.

Every step that touches a DuckDB file (ingest, checks, risk, publish, rollback, the
scenarios and the analyst tools) needs these three things and nothing else from the
publish step; keeping them in one small module at the bottom of the layering lets those
steps share them without importing each other. Nothing here imports Dagster.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from quota_pipeline.errors import RunInProgressError
from quota_pipeline.settings import duckdb_memory_limit, duckdb_threads

RUN_LOCK_NAME = "run.lock"


def engine_config() -> dict[str, Any]:
    """The pipeline's DuckDB settings (threads, memory limit), shared by every connection."""
    return {"threads": duckdb_threads(), "memory_limit": duckdb_memory_limit()}


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the pipeline's engine settings."""
    config: dict[str, Any] = engine_config()
    if not read_only:
        config["temp_directory"] = str(path.parent / ".tmp")
    return duckdb.connect(str(path), read_only=read_only, config=config)


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries to disk, so a rename into it survives a power cut."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def run_lock(folder: Path, *, guarded: Path | None = None) -> Iterator[None]:
    """Hold ``folder``'s run lock (``run.lock`` in it) for one run; a second is refused.

    A refused run gets RunInProgressError naming ``guarded`` (the warehouse the lock
    protects; the folder itself when not given) and the holder's pid; it is never queued.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / RUN_LOCK_NAME
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgressError(
                f"{guarded or folder}: a run is already in progress ({holder}); try again later"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
