"""Every run start leaves a run_log row (docs/contract.md section 4).

A run is on record as 'running' from the moment it holds the run lock; a run refused at
the lock is 'refused' with the pid that holds it; a row left 'running' by a process that
died is closed as 'abandoned' (with the last step its log shows) by the next run, which
holds the lock, or by the stale-warehouse sensor, which asks whether the pid still lives.
The real SIGKILL sequence is in tests/reliability/test_crash_recovery.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from support import POLICY_FILE

from quota_pipeline.automation.run_start import close_abandoned, run_log_path, started_run
from quota_pipeline.errors import RunInProgressError
from quota_pipeline.publish.opsdb import record_running
from quota_pipeline.settings import Settings

STARTED = datetime(2026, 11, 27, 2, 0, 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        extracts_dir=tmp_path / "extracts",
        warehouse=tmp_path / "out" / "warehouse.duckdb",
        ops_db=tmp_path / "out" / "ops.duckdb",
        policy_file=POLICY_FILE,
    )


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def run_log(settings: Settings) -> list[tuple[str, str, str | None, int | None]]:
    with duckdb.connect(str(settings.ops_db), read_only=True) as con:
        return con.execute(
            "select run_id, status, message, pid from run_log order by started_at, run_id"
        ).fetchall()


def alerts(settings: Settings) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(settings.ops_db), read_only=True) as con:
        return con.execute("select run_id, source, message from alerts order by 1").fetchall()


def killed_run(settings: Settings, run_id: str, step: str | None) -> None:
    """What a SIGKILL leaves: a 'running' row of a dead pid, and its log file."""
    record_running(settings.ops_db, run_id, STARTED, dead_pid())
    log = run_log_path(settings, STARTED)
    assert log is not None
    log.parent.mkdir(parents=True, exist_ok=True)
    steps = ["raw_extracts", step] if step else []
    log.write_text(
        "".join(f'... Started execution of step "{name}".\n' for name in steps), encoding="utf-8"
    )


def test_a_run_is_on_record_as_running_while_it_holds_the_lock(settings: Settings) -> None:
    with started_run(settings, datetime(2026, 11, 28, 2)) as run_id:
        assert run_log(settings) == [(run_id, "running", None, os.getpid())]


def test_a_concurrent_run_is_refused_with_the_pid_holding_the_lock(settings: Settings) -> None:
    with started_run(settings, datetime(2026, 11, 28, 2)) as first:
        with pytest.raises(RunInProgressError), started_run(settings, datetime(2026, 11, 28, 2, 1)):
            pass
        rows = run_log(settings)
    assert rows[0][:2] == (first, "running")
    refused = rows[1]
    assert refused[1] == "refused"
    assert f"a run is already in progress (pid {os.getpid()})" in (refused[2] or "")


def test_an_exception_in_the_run_records_it_failed(settings: Settings) -> None:
    with pytest.raises(KeyboardInterrupt), started_run(settings, datetime(2026, 11, 28, 2)):
        raise KeyboardInterrupt
    assert [(status, message) for _id, status, message, _pid in run_log(settings)] == [
        ("failed", "interrupted")
    ]


def test_the_next_run_closes_a_killed_run_as_abandoned_and_alerts(settings: Settings) -> None:
    killed_run(settings, "killed-1", "dbt_models")
    with started_run(settings, datetime(2026, 11, 28, 2)) as run_id:
        rows = {row[0]: row for row in run_log(settings)}
    assert rows[run_id][1] == "running"
    _id, status, message, _pid = rows["killed-1"]
    assert status == "abandoned"
    assert message is not None and message.startswith("abandoned during step dbt_models:")
    ((alert_run, source, text),) = alerts(settings)
    assert (alert_run, source) == ("killed-1", "abandoned_run")
    assert "abandoned during step dbt_models" in text and "run-20261127T020000.log" in text


def test_the_sensor_closes_only_runs_whose_process_is_gone(settings: Settings) -> None:
    record_running(settings.ops_db, "alive", STARTED, os.getpid())
    killed_run(settings, "killed-2", None)
    closed = close_abandoned(settings, lock_held=False)
    assert [record.run_id for record in closed] == ["killed-2"]
    statuses = {run_id: status for run_id, status, _message, _pid in run_log(settings)}
    assert statuses == {"alive": "running", "killed-2": "abandoned"}
    assert "before its first step" in (closed[0].message or "")
    # a second look finds nothing new, and the alert is not repeated
    assert close_abandoned(settings, lock_held=False) == []
    assert len(alerts(settings)) == 1
