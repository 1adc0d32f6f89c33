"""A sensor that starts the nightly job when a complete new set of extracts has arrived.

An alternative to the 02:00 schedule for teams whose CRM export lands at no fixed hour.
Complete: the preflight of `quota-pipeline run` passes (every required extract has
exactly one readable file with its contract columns and rows), so a half-dropped folder is
never run, and no file changed for SETTLE_SECONDS (a copy may still be under way). New:
the input fingerprint (extracts, policy, code) differs from the last published run's and
from the last set this sensor started a run for (its cursor and the run key). It is
stopped by default: switch it on in the UI instead of the schedule, not beside it.
"""

from __future__ import annotations

import time

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from quota_pipeline.automation.fingerprint import input_fingerprint
from quota_pipeline.automation.jobs import nightly_job
from quota_pipeline.automation.preflight import preflight
from quota_pipeline.errors import QuotaPipelineError
from quota_pipeline.publish.opsdb import last_published_fingerprint
from quota_pipeline.settings import Settings

SETTLE_SECONDS = 120.0


def arrival_request(
    settings: Settings, cursor: str | None, now: float | None = None
) -> RunRequest | SkipReason:
    """A run request when a complete, settled, new set of extracts is in the folder."""
    try:
        _policy, extracts = preflight(settings)
    except QuotaPipelineError as error:
        return SkipReason(f"extracts not complete or not usable yet: {error}")
    quiet = (now or time.time()) - max(extract.path.stat().st_mtime for extract in extracts)
    if quiet < SETTLE_SECONDS:
        return SkipReason(
            f"an extract changed {quiet:.0f} s ago; waiting until none changed for "
            f"{SETTLE_SECONDS:.0f} s"
        )
    fingerprint = input_fingerprint(extracts, settings.policy_file)
    published = last_published_fingerprint(settings.ops_db)
    if published is not None and published[0] == fingerprint:
        return SkipReason(f"no extract, policy or code changed since run {published[1]}")
    if cursor == fingerprint:
        return SkipReason("a run was already started for this set of extracts")
    return RunRequest(run_key=fingerprint, tags={"quota/launched_by": "extracts_sensor"})


@sensor(
    name="nightly_on_new_extracts",
    job=nightly_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.STOPPED,
    description=(
        "Starts nightly_recompute when a complete new set of extracts has arrived and "
        "settled (an alternative to the 02:00 schedule: switch on one of the two)."
    ),
)
def nightly_on_new_extracts(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    result = arrival_request(Settings.from_env(), context.cursor)
    if isinstance(result, RunRequest):
        context.update_cursor(result.run_key)
    return result
