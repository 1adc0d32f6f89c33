"""DuckDB files on disk: the pipeline's engine settings, the run lock, a durable rename."""

from __future__ import annotations

import os
import re

import pytest

from quota_pipeline.errors import RunInProgressError
from quota_pipeline.warehouse.duckdb_files import connect, fsync_dir, run_lock


def test_a_connection_gets_the_pipelines_thread_count(tmp_path, monkeypatch):
    monkeypatch.setenv("QUOTA_DUCKDB_THREADS", "1")
    with connect(tmp_path / "warehouse.duckdb") as con:
        assert con.execute("select current_setting('threads')").fetchone() == (1,)
    with connect(tmp_path / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("select 42").fetchone() == (42,)


def test_a_second_run_is_refused_naming_the_warehouse_and_the_holder(tmp_path):
    folder, warehouse = tmp_path / ".build", tmp_path / "warehouse.duckdb"
    refusal = f"{warehouse}: a run is already in progress (pid {os.getpid()}); try again later"
    with run_lock(folder, guarded=warehouse):
        assert (folder / "run.lock").read_text() == f"pid {os.getpid()}"
        with (
            pytest.raises(RunInProgressError, match=re.escape(refusal)),
            run_lock(folder, guarded=warehouse),
        ):
            pass
    with run_lock(folder):  # released: the next run takes it
        pass


def test_fsync_dir_accepts_a_folder(tmp_path):
    (tmp_path / "published").write_text("x")
    fsync_dir(tmp_path)
