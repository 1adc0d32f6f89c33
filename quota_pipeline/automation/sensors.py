"""Sensors that record every finished run in the operations database and alert on it.

They run by default (``default_status`` RUNNING: a deployment that forgets to switch them
on would lose its run history) and watch every job of this code location, not only the
nightly job: "Materialize all" in the UI runs Dagster's implicit asset job. Headless CLI
runs record themselves (no daemon needed), a published run records itself in its publish
step, and the upsert on run_id and the alert ids make a second sighting harmless.
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from quota_pipeline.automation.alerts import Channels, next_cursor, raise_all
from quota_pipeline.automation.run_alerts import (
    alerts_for_runs,
    delivery,
    finished_runs_after,
    raise_run_alerts,
    raise_stale_alert,
)
from quota_pipeline.automation.run_log import first_failure, is_refusal, summarise_run
from quota_pipeline.automation.run_start import close_abandoned
from quota_pipeline.policy import load_policy
from quota_pipeline.publish.opsdb import record_run
from quota_pipeline.settings import Settings


def _record(context: RunStatusSensorContext, status: str) -> None:
    run_id = context.dagster_run.run_id
    record_run(Settings.from_env().ops_db, summarise_run(context.instance, run_id, status))


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    name="run_log_on_success",
    default_status=DefaultSensorStatus.RUNNING,
    description="Records successful runs of every job in ops.run_log.",
)
def run_log_on_success(context: RunStatusSensorContext) -> None:
    _record(context, "success")


@run_status_sensor(
    run_status=DagsterRunStatus.FAILURE,
    name="run_log_on_failure",
    default_status=DefaultSensorStatus.RUNNING,
    description="Records failed runs of every job in ops.run_log (refused: unusable input).",
)
def run_log_on_failure(context: RunStatusSensorContext) -> None:
    refused = is_refusal(context.instance, context.dagster_run.run_id)
    _record(context, "refused" if refused else "failed")


# Alerts to planning ops. A failing warning check does not fail its run, so run-failure
# sensors never see it: the check sensor reads every run that finished after its cursor
# and raises the run's one alert (a failure with its checks, or a publish's warnings).
# Alert ids make a second sighting (CLI, other sensor, restart) a no-op.


@run_failure_sensor(
    name="alert_on_run_failure",
    default_status=DefaultSensorStatus.RUNNING,
    description="Alerts planning ops when a run of any job fails or crashes.",
)
def alert_on_run_failure(context: RunFailureSensorContext) -> None:
    run_id = context.dagster_run.run_id
    failure = first_failure(context.instance, run_id) or "run failed"
    raise_run_alerts(context.instance, run_id, failure, Settings.from_env())


@sensor(
    name="alert_on_check_failures",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Alerts planning ops on every finished run's failed checks and quarantined rows.",
)
def alert_on_check_failures(context: SensorEvaluationContext) -> SkipReason:
    settings = Settings.from_env()
    policy = load_policy(settings.policy_file)
    runs = finished_runs_after(context.instance, context.cursor)
    alerts = alerts_for_runs(context.instance, runs, settings, policy)
    raised = raise_all(alerts, settings.ops_db, Channels.from_env(), delivery(policy))
    context.update_cursor(
        next_cursor(context.cursor, [r.update_timestamp.timestamp() for r in runs])
    )
    return SkipReason(f"{len(runs)} finished runs read, {len(raised)} alerts raised")


@sensor(
    name="alert_on_stale_warehouse",
    minimum_interval_seconds=3600,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Alerts planning ops when no publish succeeded for policy stale_after_hours, and "
        "closes runs whose process died (run_log 'abandoned', with an alert)."
    ),
)
def alert_on_stale_warehouse(_context: SensorEvaluationContext) -> SkipReason:
    settings = Settings.from_env()
    abandoned = close_abandoned(settings, lock_held=False)
    alert = raise_stale_alert(settings)
    found = f"; {len(abandoned)} abandoned run(s) closed" if abandoned else ""
    return SkipReason((alert.summary if alert else "warehouse fresh (or already alerted)") + found)
