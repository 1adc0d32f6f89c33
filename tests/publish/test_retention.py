"""Which published runs are kept, which one a rollback restores, and the hard-link cost."""

import os
from datetime import datetime
from pathlib import Path

import pytest

from quota_pipeline.errors import UsageError
from quota_pipeline.publish.retention import (
    HistoryEntry,
    choose_rollback,
    entries_to_prune,
    entry_name,
    keep_in_history,
    list_history,
    parse_entry,
    prune_reports,
    published_run_id,
    restore,
)


def entry(day: int, run_id: str) -> HistoryEntry:
    published = datetime(2026, 11, day, 2, 0, 0, 123)
    return HistoryEntry(published, run_id, Path(entry_name(published, run_id)))


def test_names_round_trip_and_foreign_files_are_ignored():
    kept = entry(3, "run-abc")
    assert parse_entry(kept.path) == kept
    assert parse_entry(Path("notes.txt")) is None
    assert parse_entry(Path("20261103T020000000123_x.duckdb.wal")) is None
    with pytest.raises(ValueError):
        entry_name(datetime(2026, 1, 1), "../escape")


def test_prune_keeps_the_newest():
    entries = [entry(day, f"r{day}") for day in (4, 1, 3, 2)]
    assert [e.run_id for e in entries_to_prune(entries, 2)] == ["r2", "r1"]
    assert entries_to_prune(entries, 10) == []
    with pytest.raises(ValueError):
        entries_to_prune(entries, 0)


def test_rollback_choice_defaults_to_the_run_before_the_published_one():
    entries = [entry(1, "aaa111"), entry(2, "bbb222"), entry(3, "ccc333")]
    assert choose_rollback(entries, "ccc333", None).run_id == "bbb222"
    assert choose_rollback(entries, "bbb222", None).run_id == "ccc333"
    assert choose_rollback(entries, "ccc333", "aaa").run_id == "aaa111"
    with pytest.raises(UsageError, match="no kept run matches 'zzz'"):
        choose_rollback(entries, "ccc333", "zzz")
    with pytest.raises(UsageError, match="nothing to roll back to"):
        choose_rollback([entry(3, "ccc333")], "ccc333", None)
    with pytest.raises(UsageError, match="matches 2 kept runs"):
        choose_rollback([entry(1, "ab1"), entry(2, "ab2")], None, "ab")


def test_history_is_a_hard_link_and_restore_swaps_atomically(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    build = tmp_path / ".build" / "warehouse.duckdb"
    build.parent.mkdir()
    inodes = {}
    for number in range(1, 5):
        build.write_bytes(f"run {number}".encode())
        kept = keep_in_history(build, warehouse, f"run{number}", keep=3)
        assert os.stat(kept).st_ino == os.stat(build).st_ino  # a link, not a copy
        os.replace(build, warehouse)
        inodes[f"run{number}"] = os.stat(warehouse).st_ino
    assert [e.run_id for e in list_history(warehouse)] == ["run4", "run3", "run2"]
    assert published_run_id(warehouse) == "run4"

    reader = warehouse.open("rb")  # a reader holding the published file
    restore(list_history(warehouse)[1], warehouse, build.parent)
    assert warehouse.read_bytes() == b"run 3"
    assert published_run_id(warehouse) == "run3"
    assert reader.read() == b"run 4"  # the open reader keeps the file it opened
    reader.close()
    assert not list(build.parent.glob("rollback-*"))


def test_prune_reports_keeps_the_newest(tmp_path):
    for stamp in ("20261101T020000", "20261102T020000", "20261103T020000"):
        (tmp_path / f"report-{stamp}.html").write_text("x")
    prune_reports(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report-20261102T020000.html",
        "report-20261103T020000.html",
    ]
