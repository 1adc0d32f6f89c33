"""The nightly recomputation job and its schedule.

The job runs every asset in one process (in_process_executor): the steps share one build
file that DuckDB lets only one process write, and a process per step would pay Python and
dbt start-up eight-plus times for nothing.
"""

import logging
import os

from dagster import (
    AssetSelection,
    InitLoggerContext,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
    logger,
)

# Step events also go to this Python logger, where `quota-pipeline run` listens to show
# progress. Nothing listens in UI runs, and it never propagates to the root logger.
from quota_pipeline.progress import STEP_EVENTS_LOGGER


@logger(description="Forwards run events to the quota_pipeline.step_events Python logger.")
def step_events_logger(_context: InitLoggerContext) -> logging.Logger:
    events = logging.getLogger(STEP_EVENTS_LOGGER)
    events.setLevel(logging.DEBUG)
    events.propagate = False
    return events


NIGHTLY_JOB_NAME = "nightly_recompute"

nightly_job = define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Full recomputation: ingest, dbt, risk, publish.",
    tags={"dagster/max_concurrent_runs": "1"},
)

nightly_schedule = ScheduleDefinition(
    name="nightly_at_0200",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone=os.environ.get("QUOTA_SCHEDULE_TIMEZONE", "UTC"),
    description="Every night at 02:00 (QUOTA_SCHEDULE_TIMEZONE, default UTC).",
)
