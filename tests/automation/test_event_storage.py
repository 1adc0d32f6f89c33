"""The local Dagster instance: Dagster's SQLite storage with an event log that keeps its
engines open, found by its folder alone, and rewritten when the folder moves."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRun
from dagster._core.events.log import EventLogEntry

from quota_pipeline.automation import event_storage
from quota_pipeline.automation.event_storage import LocalDagsterStorage, PooledSqliteEventLogStorage
from quota_pipeline.automation.headless import LOCAL_INSTANCE_HEADER, dagster_home
from quota_pipeline.settings import Settings


def settings_in(folder: Path) -> Settings:
    return Settings(folder, folder / "warehouse.duckdb", folder / "ops.duckdb", folder / "p.yaml")


def log_entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level=20, user_message=message, run_id=run_id, timestamp=time.time()
    )


def test_instance_opens_by_folder_and_stores_events(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(settings_in(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME")  # tools open it by folder, with no variable set
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run = instance.add_run(DagsterRun(job_name="nightly_recompute", run_id="r1"))
        for index in range(20):
            instance.handle_new_event(log_entry(run.run_id, f"event {index}"))
        stored = instance.all_logs(run.run_id)
        assert [entry.user_message for entry in stored] == [f"event {i}" for i in range(20)]
    # Dagster's default folders: runs in history/, event shards in history/runs/
    assert (home / "history" / "runs" / "r1.db").exists()
    assert (home / "history" / "runs.db").exists()


def test_open_run_shards_are_bounded_and_wipe_closes_them(tmp_path, monkeypatch):
    monkeypatch.setattr(event_storage, "OPEN_RUN_SHARDS", 3)
    storage = LocalDagsterStorage(str(tmp_path)).event_log_storage
    for run in range(6):
        storage.store_event(log_entry(f"run{run}", "x"))
    # plain log lines go to their run's shard only (no index mirror): the 3 newest stay open
    assert set(storage._engines) == {"run3", "run4", "run5"}
    assert [e.user_message for e in storage.get_logs_for_run("run0")] == ["x"]  # reopened
    storage.wipe()
    assert set(storage._engines) <= {"index"}  # wiping the index reopens it, nothing else
    assert not list((tmp_path / "history" / "runs").glob("run*.db"))


def test_dagster_yaml_follows_a_moved_folder_but_not_a_users_own(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first = dagster_home(settings_in(tmp_path / "a"))
    text = (first / "dagster.yaml").read_text(encoding="utf-8")
    assert text.startswith(LOCAL_INSTANCE_HEADER) and str(first.resolve()) in text
    moved = tmp_path / "b" / "dagster_home"
    moved.parent.mkdir()
    os.replace(first, moved)
    monkeypatch.setenv("DAGSTER_HOME", str(moved))
    dagster_home(settings_in(tmp_path / "b"))
    assert str(moved.resolve()) in (moved / "dagster.yaml").read_text(encoding="utf-8")
    own = "telemetry:\n  enabled: false\n"
    (moved / "dagster.yaml").write_text(own, encoding="utf-8")
    dagster_home(settings_in(tmp_path / "b"))
    assert (moved / "dagster.yaml").read_text(encoding="utf-8") == own


def test_dispose_with_a_watched_run_is_prompt_and_leaves_no_thread(tmp_path, monkeypatch):
    """`dagster dev` exits when its instances are disposed: the pooled engines and the run
    watcher (the UI's live run page) must not keep a thread or a file alive."""
    import threading

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(settings_in(tmp_path))
    instance = DagsterInstance.from_config(str(home))
    run = instance.add_run(DagsterRun(job_name="nightly_recompute", run_id="watched"))
    instance.handle_new_event(log_entry(run.run_id, "first"))
    seen: list[object] = []
    instance.event_log_storage.watch(run.run_id, None, lambda event, _cursor: seen.append(event))
    started = time.monotonic()
    instance.dispose()
    assert time.monotonic() - started < 5
    alive = [t for t in threading.enumerate() if t.is_alive() and not t.daemon]
    assert alive == [threading.main_thread()]  # nothing that would keep the process up
    assert instance.event_log_storage._engines == {}


def test_shards_commit_to_a_write_ahead_log_and_a_watched_run_still_sees_its_events(
    tmp_path, monkeypatch
):
    """WAL shards (no fsync wait per event): the UI's live run page must still be woken,
    although SQLite writes the shard file itself only at a checkpoint."""
    import sqlite3

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(settings_in(tmp_path))
    with DagsterInstance.from_config(str(home)) as instance:
        run = instance.add_run(DagsterRun(job_name="nightly_recompute", run_id="live"))
        instance.handle_new_event(log_entry(run.run_id, "before watching"))
        seen: list[str] = []
        instance.event_log_storage.watch(
            run.run_id, None, lambda entry, _cursor: seen.append(entry.user_message)
        )
        for index in range(3):
            instance.handle_new_event(log_entry(run.run_id, f"live {index}"))
        deadline = time.monotonic() + 10
        while len(seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == ["before watching", "live 0", "live 1", "live 2"]
        shard = home / "history" / "runs" / "live.db"
        with sqlite3.connect(shard) as con:
            assert con.execute("pragma journal_mode").fetchone() == ("wal",)
