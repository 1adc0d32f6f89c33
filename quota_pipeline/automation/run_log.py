"""Summarise a finished Dagster run into a run_log row (rows in, quarantined, checks failed,
warnings).

Shared by the headless CLI and the run-status sensor, so a run looks the same in the
operations database however it was launched. A failed check of severity ERROR counts as
failed (a blocking one stopped the run); a failed WARN check (drift against the last
published run) counts as a warning, which never stops a publish.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

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
    checks_warned = 0
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        if evaluation.severity == AssetCheckSeverity.WARN:
            checks_warned += 1
        else:
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
        checks_warned=checks_warned,
        message=message,
    )


def first_failure(instance: DagsterInstance, run_id: str) -> str | None:
    """The first step failure as one line: the step and its root cause's message.

    Dagster wraps the asset's own exception ("Error occurred while executing op ..."); the
    innermost cause is what the operator needs (a quarantine limit, a dbt test, a bad file).
    """
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.STEP_FAILURE
    ).records:
        event = record.event_log_entry.dagster_event
        error = getattr(event.event_specific_data, "error", None)
        if error is None:
            continue
        while error.cause is not None:
            error = error.cause
        if error.cls_name == "DagsterAssetCheckFailedError":
            failed = _failed_blocking_check(instance, run_id)
            if failed:
                return f"step {event.step_key}: {failed}"
        lines = [line for line in error.message.strip().splitlines() if line.strip()]
        text = lines[0] if lines else error.cls_name or "unknown error"
        for prefix in (f"{error.cls_name}: ", f"{error.cls_name}:"):
            text = text.removeprefix(prefix)
        text = text.split(f".{error.cls_name}: ", 1)[-1]  # dagster._core.errors.X: ...
        return f"step {event.step_key}: {text.strip()}"
    return None


# Errors that mean unusable input (a file, a column, the policy), not a broken run: the
# CLI exits 2 for them and run_log calls the run refused.
USER_ERRORS = ("ExtractError", "PolicyError", "UsageError")


def is_refusal(instance: DagsterInstance, run_id: str) -> bool:
    """True when a step of the run failed on unusable input (USER_ERRORS anywhere in the
    chain of causes)."""
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.STEP_FAILURE
    ).records:
        error = getattr(record.event_log_entry.dagster_event.event_specific_data, "error", None)
        while error is not None:
            if error.cls_name in USER_ERRORS:
                return True
            error = error.cause
    return False


def _failed_blocking_check(instance: DagsterInstance, run_id: str) -> str | None:
    """Dagster's own error only says "1 blocking asset check failed": name the check and
    say why. When an error check on the same asset failed too (the ingest quarantine check,
    whose limit the GX suite enforces), its description is the reason: it names the file,
    line, column and rule of the first rejected row."""
    failed = [
        record.event_log_entry.dagster_event.event_specific_data
        for record in instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    ]
    failed = [evaluation for evaluation in failed if not evaluation.passed]
    blocking = next((evaluation for evaluation in failed if evaluation.blocking), None)
    if blocking is None:
        return None
    reason = next(
        (
            evaluation
            for evaluation in failed
            if evaluation.asset_key == blocking.asset_key
            and evaluation.severity == AssetCheckSeverity.ERROR
            and not evaluation.blocking
        ),
        blocking,
    )
    description = (reason.description or "").strip().splitlines()
    detail = f": {description[0]}" if description else ""
    asset = blocking.asset_key.to_user_string()
    return f"blocking check {blocking.check_name} failed on {asset}{detail}"


def _timestamp(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None) if value else None
