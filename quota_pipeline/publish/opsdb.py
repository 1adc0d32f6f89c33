"""The operations database: every run and every alert, failed runs included.

It is a separate DuckDB file (QUOTA_OPS_DB) so that a run that publishes nothing can
still be recorded, and so analysts can attach it read-only as schema ``ops``. Writes are
idempotent on run_id / alert_id: a sensor that restarts, or the CLI and a sensor seeing
the same run, never duplicate a row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from quota_pipeline.errors import QuotaPipelineError

DDL = """
create table if not exists run_log (
    run_id varchar primary key,
    started_at timestamp,
    finished_at timestamp,
    status varchar not null,
    rows_in bigint,
    rows_quarantined bigint,
    checks_failed integer,
    message varchar,
    fingerprint varchar
);
-- ops databases written before incremental runs existed
alter table run_log add column if not exists fingerprint varchar;
-- the process of a run on record as 'running' (docs/contract.md section 4 allows added
-- columns): a row still 'running' whose process is gone was abandoned
alter table run_log add column if not exists pid integer;
-- failed WARN checks (drift), apart from checks_failed (severity ERROR); null in rows
-- written before the two were told apart, when checks_failed counted both
alter table run_log add column if not exists checks_warned integer;
create table if not exists alerts (
    alert_id varchar primary key,
    run_id varchar,
    raised_at timestamp not null,
    severity varchar not null,
    source varchar not null,
    message varchar not null,
    delivered_to varchar
);
-- alert state (docs/contract.md section 4 allows added columns): open until a later run
-- leaves the warehouse current again (a publish, or a night with nothing to recompute)
alter table alerts add column if not exists state varchar default 'open';
alter table alerts add column if not exists resolved_at timestamp;
alter table alerts add column if not exists resolved_by varchar;
"""


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    rows_in: int | None = None
    rows_quarantined: int | None = None
    checks_failed: int | None = None
    message: str | None = None
    fingerprint: str | None = None
    checks_warned: int | None = None

    @classmethod
    def without_dagster(
        cls, status: str, started: datetime, message: str, fingerprint: str | None = None
    ) -> RunRecord:
        """A run that ended before Dagster started one (refused, unchanged): its id is
        the status and the start time, and it finishes now."""
        return cls(
            run_id=f"{status}-{started:%Y%m%dT%H%M%S%f}",
            started_at=started,
            finished_at=datetime.now(UTC).replace(tzinfo=None),
            status=status,
            message=message,
            fingerprint=fingerprint,
        )


# An analyst tool that attaches the ops database read-only holds DuckDB's file lock; a
# run waits this long for it before giving up with one line instead of a traceback.
LOCK_WAIT_SECONDS = 20.0


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise QuotaPipelineError(
                    f"{path}: operations database is locked by another process for more than "
                    f"{LOCK_WAIT_SECONDS:g} s (close the tool that has it open)"
                ) from None
            time.sleep(0.25)
    con.execute(DDL)
    return con


def record_run(path: Path, record: RunRecord) -> None:
    """Insert or update one run's row; a run that leaves the warehouse current resolves
    every alert other runs left open."""
    with _connect(path) as con:
        con.execute(
            """
            insert into run_log (run_id, started_at, finished_at, status, rows_in,
                rows_quarantined, checks_failed, message, fingerprint, checks_warned)
            values ($run_id, $started_at, $finished_at, $status, $rows_in,
                $rows_quarantined, $checks_failed, $message, $fingerprint, $checks_warned)
            on conflict (run_id) do update set
                started_at = coalesce(excluded.started_at, run_log.started_at),
                finished_at = coalesce(excluded.finished_at, run_log.finished_at),
                status = excluded.status,
                rows_in = coalesce(excluded.rows_in, run_log.rows_in),
                rows_quarantined = coalesce(excluded.rows_quarantined, run_log.rows_quarantined),
                checks_failed = coalesce(excluded.checks_failed, run_log.checks_failed),
                message = coalesce(excluded.message, run_log.message),
                fingerprint = coalesce(excluded.fingerprint, run_log.fingerprint),
                checks_warned = coalesce(excluded.checks_warned, run_log.checks_warned)
            """,
            {
                "run_id": record.run_id,
                "started_at": record.started_at,
                "finished_at": record.finished_at,
                "status": record.status,
                "rows_in": record.rows_in,
                "rows_quarantined": record.rows_quarantined,
                "checks_failed": record.checks_failed,
                "message": record.message,
                "fingerprint": record.fingerprint,
                "checks_warned": record.checks_warned,
            },
        )
        if record.status in FRESH_STATUSES:
            _resolve_alerts(con, record.run_id, record.finished_at)


def _resolve_alerts(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime | None) -> None:
    """Close the open alerts of earlier runs (and stale-warehouse alerts): the warehouse is
    current again. The run's own alerts (its warnings) stay open until the next one."""
    at = at or datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        """
        update alerts set state = 'resolved', resolved_at = $at, resolved_by = $run_id
        where state = 'open' and run_id is distinct from $run_id and raised_at <= $at
        """,
        {"at": at, "run_id": run_id},
    )


def record_alert(
    path: Path,
    *,
    alert_id: str,
    run_id: str | None,
    raised_at: datetime,
    severity: str,
    source: str,
    message: str,
    delivered_to: str,
) -> bool:
    """Insert one alert; False when that alert_id was already recorded."""
    with _connect(path) as con:
        inserted = con.execute(
            """
            insert into alerts (alert_id, run_id, raised_at, severity, source, message,
                delivered_to, state)
            values ($alert_id, $run_id, $raised_at, $severity, $source, $message,
                $delivered_to, 'open')
            on conflict (alert_id) do nothing
            returning alert_id
            """,
            {
                "alert_id": alert_id,
                "run_id": run_id,
                "raised_at": raised_at,
                "severity": severity,
                "source": source,
                "message": message,
                "delivered_to": delivered_to,
            },
        ).fetchall()
    return bool(inserted)


# A rollback row's message starts "rolled back to run <id> " (publish/retention.py): the
# published warehouse is then that run's, so that is the run a skipped night names.
PUBLISHED_RUN_SQL = """
select fingerprint,
    case when status = 'rollback'
        then coalesce(nullif(regexp_extract(message, '^rolled back to run (\\S+) ', 1), ''), run_id)
        else run_id end,
    finished_at
from run_log
where status in ('success', 'rollback') order by finished_at desc limit 1
"""


def last_published_fingerprint(path: Path) -> tuple[str, str, datetime] | None:
    """(fingerprint, run id, finished_at) of the newest publish or rollback, if it has one;
    for a rollback, the id of the run it restored."""
    if not path.exists():
        return None
    with _connect(path) as con:
        rows = con.execute(PUBLISHED_RUN_SQL).fetchall()
    if not rows or rows[0][0] is None:
        return None
    return rows[0][0], rows[0][1], rows[0][2]


# Statuses after which the published warehouse is current: a publish, or a night that found
# no extract, policy or code changed since the last publish.
FRESH_STATUSES = ("success", "unchanged")


def last_fresh(path: Path) -> datetime | None:
    """When a run last left the warehouse current (run_log status in FRESH_STATUSES).

    Read-only and never raising: the stale-warehouse alert asks it even when the operations
    database is missing or held by a writer, and then has nothing to measure from.
    """
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(
                "select max(finished_at) from run_log where status in (?, ?)",
                list(FRESH_STATUSES),
            ).fetchall()[0][0]
    except duckdb.Error:
        return None


RUNNING = "running"
ABANDONED = "abandoned"


def record_running(path: Path, run_id: str, started_at: datetime, pid: int) -> None:
    """Put a run on record the moment it holds the run lock: status 'running', its pid."""
    record_run(path, RunRecord(run_id, started_at, None, RUNNING))
    with _connect(path) as con:
        con.execute(
            "update run_log set pid = $pid where run_id = $run_id", {"pid": pid, "run_id": run_id}
        )


def running_runs(path: Path) -> list[tuple[str, datetime | None, int | None]]:
    """(run_id, started_at, pid) of every row still 'running', oldest first."""
    if not path.exists():
        return []
    with _connect(path) as con:
        return con.execute(
            "select run_id, started_at, pid from run_log where status = $status order by 2",
            {"status": RUNNING},
        ).fetchall()
