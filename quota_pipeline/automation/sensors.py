"""Sensors that record every finished run in the operations database.

Runs launched from the UI or the schedule are recorded here; headless CLI runs record
themselves (no daemon needed) and the upsert on run_id makes a second sighting harmless.
"""

from dagster import DagsterRunStatus, RunStatusSensorContext, run_status_sensor

from quota_pipeline.automation.jobs import nightly_job
from quota_pipeline.automation.run_log import summarise_run
from quota_pipeline.publish.opsdb import record_run
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
