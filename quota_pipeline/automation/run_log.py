"""Summarise a finished Dagster run into a run_log row (rows in, quarantined, checks failed).

Shared by the headless CLI and the run-status sensor, so a run looks the same in the
operations database however it was launched.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import DagsterEventType, DagsterInstance

from quota_pipeline.publish.opsdb import RunRecord


def summarise_run(
    instance: DagsterInstance, run_id: str, status: str, message: str | None = None
) -> RunRecord:
    rows_in = 0
    rows_quarantined = 0
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    ).records:
        materialization = record.asset_materialization
        if materialization is None or materialization.asset_key.path[0] != "raw":
            continue
        metadata = materialization.metadata
        rows_in += int(getattr(metadata.get("dagster/row_count"), "value", 0) or 0)
        rows_quarantined += int(getattr(metadata.get("quarantined"), "value", 0) or 0)
    checks_failed = 0
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            checks_failed += 1
    if message is None and status != "success":
        message = first_failure(instance, run_id)
    stats = instance.get_run_stats(run_id)
    started = _timestamp(stats.start_time) if stats else None
    finished = _timestamp(stats.end_time) if stats else None
    return RunRecord(
        run_id=run_id,
        started_at=started,
        finished_at=finished or datetime.now(UTC).replace(tzinfo=None),
        status=status,
        rows_in=rows_in,
        rows_quarantined=rows_quarantined,
        checks_failed=checks_failed,
        message=message,
    )


def first_failure(instance: DagsterInstance, run_id: str) -> str | None:
    """The first step failure's error message, one line."""
    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE).records:
        data = record.event_log_entry.dagster_event.event_specific_data
        error = getattr(data, "error", None)
        if error is not None:
            return error.message.strip().splitlines()[0] if error.message.strip() else None
    return None


def _timestamp(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None) if value else None

