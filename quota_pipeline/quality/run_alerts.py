"""From a finished Dagster run to alerts for planning ops.

The headless CLI (no daemon) and the sensors share this: a failed check (blocking or
warning) becomes one alert with its unexpected rows, examples and Data Docs page, and a
failed run one more. Ids hang on run and check, so whoever sees the run first raises
the alert and the others find it already in the operations database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunRecord,
    RunsFilter,
)

from quota_pipeline.automation.alerts import (
    ERROR,
    LOGGER,
    WARNING,
    Alert,
    Channels,
    Delivery,
    raise_all,
    stale_alert,
)
from quota_pipeline.automation.jobs import NIGHTLY_JOB_NAME
from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.publish.opsdb import last_fresh
from quota_pipeline.quality.runner import docs_index
from quota_pipeline.settings import Settings


def delivery(policy: Policy) -> Delivery:
    return Delivery(
        attempts=policy.alerts.attempts,
        backoff_seconds=policy.alerts.backoff_seconds,
        timeout_seconds=policy.alerts.timeout_seconds,
    )


def _where(settings: Settings, run_id: str | None, docs: str | None = None) -> tuple[str, ...]:
    places = [f"Data Docs: {docs}"] if docs else []
    index = docs_index(settings.warehouse.parent / "quality")
    if index.exists() and str(index) != docs:
        places.append(f"Data Docs index: {index}")
    if run_id:
        places.append(f"Dagster run {run_id} (dagster dev, Runs tab; DAGSTER_HOME)")
    places.append(f"operations database: {settings.ops_db} (tables run_log, alerts)")
    return tuple(places)


def _metadata_value(evaluation: AssetCheckEvaluation, key: str) -> object:
    entry = evaluation.metadata.get(key)
    return getattr(entry, "value", entry)


def _examples(evaluation: AssetCheckEvaluation, limit: int) -> tuple[str, ...]:
    text = _metadata_value(evaluation, "failures") or _metadata_value(evaluation, "examples")
    if not isinstance(text, str) or text == "none":
        return ()
    lines = [line.removeprefix("- ").strip() for line in text.splitlines() if line.strip()]
    return tuple(lines[:limit])


def check_alert(
    run_id: str, evaluation: AssetCheckEvaluation, settings: Settings, sample_size: int
) -> Alert:
    """One failed check: severity ERROR (blocking checks, and the quarantine check whose
    limit the blocking GX suite enforces) is an error, WARN a warning."""
    asset = "/".join(evaluation.asset_key.path)
    error = evaluation.severity == AssetCheckSeverity.ERROR
    kind = "blocking check" if evaluation.blocking else "check" if error else "warning check"
    rows = _metadata_value(evaluation, "unexpected_rows")
    if rows is None:
        rows = _metadata_value(evaluation, "quarantined")
    docs = _metadata_value(evaluation, "data_docs")
    return Alert(
        run_id=run_id,
        severity=ERROR if error else WARNING,
        source=f"check {asset}:{evaluation.check_name}",
        summary=f"{kind} {evaluation.check_name} failed on {asset}: {evaluation.description or ''}".strip(),
        rows=int(rows) if isinstance(rows, int | float) else None,
        examples=_examples(evaluation, sample_size),
        where=_where(settings, run_id, str(docs) if docs else None),
    )


def failed_checks(instance: DagsterInstance, run_id: str) -> list[AssetCheckEvaluation]:
    evaluations = []
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            evaluations.append(evaluation)
    return evaluations


def run_alerts(
    instance: DagsterInstance,
    run_id: str,
    failure: str | None,
    settings: Settings,
    policy: Policy,
    log_file: Path | None = None,
) -> list[Alert]:
    """Every alert a finished run deserves; ``failure`` is None for a successful run."""
    size = policy.quality.sample_size
    alerts = [check_alert(run_id, e, settings, size) for e in failed_checks(instance, run_id)]
    if failure is not None:
        where = _where(settings, run_id)
        if log_file is not None:
            where = (f"run log: {log_file}", *where)
        alerts.append(
            Alert(
                run_id=run_id,
                severity=ERROR,
                source="run",
                summary=f"nightly run failed, nothing published: {failure}",
                where=where,
            )
        )
    return alerts


def raise_run_alerts(
    instance: DagsterInstance,
    run_id: str,
    failure: str | None,
    settings: Settings,
    log_file: Path | None = None,
) -> list[Alert]:
    """Raise a finished run's alerts on every channel (headless CLI and run sensor).

    Never raises: an alerting problem is logged, the run's own outcome stands.
    """
    try:
        policy = load_policy(settings.policy_file)
        alerts = run_alerts(instance, run_id, failure, settings, policy, log_file)
    except Exception as error:
        LOGGER.error("could not collect alerts of run %s: %s", run_id, type(error).__name__)
        return []
    return raise_all(alerts, settings.ops_db, Channels.from_env(), delivery(policy))


def raise_stale_alert(settings: Settings, now: datetime | None = None) -> Alert | None:
    """Alert when no publish succeeded for longer than the policy's stale_after_hours."""
    try:
        policy = load_policy(settings.policy_file)
        alert = stale_alert(
            last_fresh(settings.ops_db),
            now or datetime.now(UTC).replace(tzinfo=None),
            policy.stale_after_hours,
            (
                f"published warehouse: {settings.warehouse}",
                f"operations database: {settings.ops_db}",
            ),
        )
    except Exception as error:
        LOGGER.error("could not check warehouse staleness: %s", type(error).__name__)
        return None
    if alert is None:
        return None
    raised = raise_all([alert], settings.ops_db, Channels.from_env(), delivery(policy))
    return raised[0] if raised else None


def finished_runs_after(instance: DagsterInstance, cursor: str | None) -> list[RunRecord]:
    """Nightly runs that finished (success or failure) after ``cursor``, oldest first.

    Run-based rather than event-id based: event ids are per run on the default sharded
    SQLite storage, while run update times order runs on every storage.
    """
    return list(
        instance.get_run_records(
            filters=RunsFilter(
                job_name=NIGHTLY_JOB_NAME,
                statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
                updated_after=datetime.fromtimestamp(float(cursor), UTC) if cursor else None,
            ),
            order_by="update_timestamp",
            ascending=True,
            limit=100,
        )
    )


def alerts_for_checks_of_runs(
    instance: DagsterInstance, runs: list[RunRecord], settings: Settings, policy: Policy
) -> list[Alert]:
    """The alerts of every failed check (blocking or warning) of ``runs``."""
    size = policy.quality.sample_size
    return [
        check_alert(run.dagster_run.run_id, evaluation, settings, size)
        for run in runs
        for evaluation in failed_checks(instance, run.dagster_run.run_id)
    ]
