"""Every run start leaves a run_log row, even when the run never gets to write its end.

Why: a run refused because another holds the lock, or a run killed by SIGKILL, the OOM
killer or a power cut, used to leave nothing in run_log (docs/contract.md section 4: every
run is written there, failed ones included). So a run goes on record the moment it holds
the run lock, as 'running' with its pid, under the id Dagster will use for it; its end
replaces the status. A run refused at the lock is recorded 'refused' with the pid that
holds it. A row still 'running' whose process is gone was abandoned: the next run (which
holds the lock, so no other run can be alive) or the stale-warehouse sensor (which asks
whether the pid still lives) closes it as 'abandoned' with the last step it reached, and
planning ops get an alert.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from quota_pipeline.automation.alerts import ERROR, Alert, Channels, Delivery, raise_all
from quota_pipeline.errors import QuotaPipelineError, RunInProgressError
from quota_pipeline.publish.opsdb import (
    ABANDONED,
    RunRecord,
    record_run,
    record_running,
    running_runs,
)
from quota_pipeline.settings import Settings
from quota_pipeline.warehouse.duckdb_files import run_lock

LOGGER = logging.getLogger("quota_pipeline.run_start")
STEP_STARTED = re.compile(r'Started execution of step "([^"]+)"')


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def started_run(settings: Settings, started: datetime) -> Iterator[str]:
    """Hold the run lock for one run and yield its run id, on record as 'running'.

    Refused at the lock: a 'refused' row naming the holder, then RunInProgressError. An
    exception out of the run (a bug, Ctrl-C) records the run 'failed' before it spreads.
    """
    with ExitStack() as stack:
        try:
            stack.enter_context(run_lock(settings.build_dir, guarded=settings.warehouse))
        except RunInProgressError as error:
            _record_quietly(settings, RunRecord.without_dagster("refused", started, str(error)))
            raise
        close_abandoned(settings, lock_held=True)
        run_id = str(uuid.uuid4())
        record_running(settings.ops_db, run_id, started, os.getpid())
        try:
            yield run_id
        except BaseException as error:
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
            failed = RunRecord(
                run_id, None, _now(), "failed", message=reason or type(error).__name__
            )
            _record_quietly(settings, failed)
            raise


def close_abandoned(settings: Settings, *, lock_held: bool) -> list[RunRecord]:
    """Close every 'running' row whose process is gone as 'abandoned', and alert.

    ``lock_held``: the caller holds the run lock, so no run can be alive. Otherwise (the
    sensor) a row is closed only when its pid no longer exists. Never raises: a damaged
    operations database must not stop the run or the sensor that asks.
    """
    try:
        rows = running_runs(settings.ops_db)
    except (OSError, QuotaPipelineError, duckdb.Error) as error:
        LOGGER.error("could not read running runs: %s", type(error).__name__)
        return []
    closed = []
    for run_id, started_at, pid in rows:
        if not lock_held and _alive(pid):
            continue
        step = last_step(settings, started_at)
        message = (
            f"abandoned during step {step}: the run (pid {pid}) ended without recording an "
            "end (killed, out of memory or a power cut); the next run starts over"
        )
        record = RunRecord(run_id, None, _now(), ABANDONED, message=message)
        _record_quietly(settings, record)
        closed.append(record)
        _alert(settings, run_id, message, started_at)
    return closed


def _alive(pid: int | None) -> bool:
    """True while a process of that pid exists (unknown pid: assume alive)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def last_step(settings: Settings, started_at: datetime | None) -> str:
    """The last step the run's log file says it started, or where the run stopped."""
    log_file = run_log_path(settings, started_at)
    if log_file is None or not log_file.exists():
        return "(none: it stopped before its first step)"
    steps = STEP_STARTED.findall(log_file.read_text(encoding="utf-8", errors="replace"))
    return steps[-1] if steps else "(none: it stopped before its first step)"


def run_log_path(settings: Settings, started_at: datetime | None) -> Path | None:
    """logs/run-<UTC time>.log beside the warehouse, as the headless run names it."""
    if started_at is None:
        return None
    return settings.warehouse.parent / "logs" / f"run-{started_at:%Y%m%dT%H%M%S}.log"


def _alert(settings: Settings, run_id: str, message: str, started_at: datetime | None) -> None:
    log_file = run_log_path(settings, started_at)
    where = [f"operations database: {settings.ops_db} (run_log, run_id {run_id})"]
    if log_file is not None:
        where.insert(0, f"run log: {log_file}")
    alert = Alert(
        run_id=run_id,
        severity=ERROR,
        source="abandoned_run",
        summary=f"nightly run {message}",
        where=tuple(where),
    )
    raise_all([alert], settings.ops_db, Channels.from_env(), _delivery(settings))


def _delivery(settings: Settings) -> Delivery:
    """The policy's alert pace; Dagster-free defaults when the policy cannot be read."""
    try:
        from quota_pipeline.policy import load_policy

        alerts = load_policy(settings.policy_file).alerts
        return Delivery(alerts.attempts, alerts.backoff_seconds, alerts.timeout_seconds)
    except QuotaPipelineError:
        return Delivery()


def _record_quietly(settings: Settings, record: RunRecord) -> None:
    """Write a run_log row; a locked or broken ops database is logged, never raised."""
    try:
        record_run(settings.ops_db, record)
    except (OSError, QuotaPipelineError, duckdb.Error) as error:
        LOGGER.error("could not record run %s: %s", record.run_id, error)
