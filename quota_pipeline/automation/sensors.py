"""Sensors that record every finished run in the operations database.

Runs launched from the UI or the schedule are recorded here; headless CLI runs record
themselves (no daemon needed) and the upsert on run_id makes a second sighting harmless.
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
from quota_pipeline.automation.jobs import nightly_job
from quota_pipeline.automation.run_log import first_failure, summarise_run
from quota_pipeline.policy import load_policy
from quota_pipeline.publish.opsdb import record_run
from quota_pipeline.quality.run_alerts import (
    alerts_for_checks_of_runs,
    delivery,
    finished_runs_after,
    raise_run_alerts,
    raise_stale_alert,
)
from quota_pipeline.settings import Settings


def _record(context: RunStatusSensorContext, status: str) -> None:
    run_id = context.dagster_run.run_id
    record_run(Settings.from_env().ops_db, summarise_run(context.instance, run_id, status))


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[nightly_job],
    name="run_log_on_success",
    description="Records successful runs in ops.run_log.",
)
def run_log_on_success(context: RunStatusSensorContext) -> None:
    _record(context, "success")


@run_status_sensor(
    run_status=DagsterRunStatus.FAILURE,
    monitored_jobs=[nightly_job],
    name="run_log_on_failure",
    description="Records failed runs in ops.run_log.",
)
def run_log_on_failure(context: RunStatusSensorContext) -> None:
    _record(context, "failed")


# Alerts to planning ops (issue 3). A failing warning check does not fail its run, so
# run-failure sensors never see it: the check sensor reads check evaluations after its
# cursor. Alert ids make a second sighting (CLI, other sensor, restart) a no-op.


@run_failure_sensor(
    monitored_jobs=[nightly_job],
    name="alert_on_run_failure",
    default_status=DefaultSensorStatus.RUNNING,
    description="Alerts planning ops when a nightly run fails or crashes.",
)
def alert_on_run_failure(context: RunFailureSensorContext) -> None:
    run_id = context.dagster_run.run_id
    failure = first_failure(context.instance, run_id) or "run failed"
    raise_run_alerts(context.instance, run_id, failure, Settings.from_env())


@sensor(
    name="alert_on_check_failures",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Alerts planning ops on every failed asset check, blocking or warning.",
)
def alert_on_check_failures(context: SensorEvaluationContext) -> SkipReason:
    settings = Settings.from_env()
    policy = load_policy(settings.policy_file)
    runs = finished_runs_after(context.instance, context.cursor)
    alerts = alerts_for_checks_of_runs(context.instance, runs, settings, policy)
    raised = raise_all(alerts, settings.ops_db, Channels.from_env(), delivery(policy))
    context.update_cursor(
        next_cursor(context.cursor, [r.update_timestamp.timestamp() for r in runs])
    )
    return SkipReason(f"{len(runs)} finished runs read, {len(raised)} alerts raised")


@sensor(
    name="alert_on_stale_warehouse",
    minimum_interval_seconds=3600,
    default_status=DefaultSensorStatus.RUNNING,
    description="Alerts planning ops when no publish succeeded for policy stale_after_hours.",
)
def alert_on_stale_warehouse(_context: SensorEvaluationContext) -> SkipReason:
    alert = raise_stale_alert(Settings.from_env())
    return SkipReason(alert.summary if alert else "warehouse fresh (or already alerted)")
