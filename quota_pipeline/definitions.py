"""The one Definitions object: assets, checks, job, schedule, sensors, resources.

`dagster dev`, workspace.yaml, the nightly schedule and `quota-pipeline run` all load this.
"""

from dagster import Definitions, colored_console_logger

from quota_pipeline.automation.arrival import nightly_on_new_extracts
from quota_pipeline.automation.jobs import nightly_job, nightly_schedule, step_events_logger
from quota_pipeline.automation.sensors import (
    alert_on_check_failures,
    alert_on_run_failure,
    alert_on_stale_warehouse,
    run_log_on_failure,
    run_log_on_success,
)
from quota_pipeline.ingest.assets import ingest_assets
from quota_pipeline.publish.assets import (
    build_file,
    dbt_docs_asset,
    report_asset,
    warehouse_asset,
)
from quota_pipeline.quality.checks import quality_checks
from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.risk.assets import quota_risk, strategic_gaps
from quota_pipeline.transform.assets import dbt_models
from quota_pipeline.transform.project import dbt_resource

built_tables = [
    *(key for assets in ingest_assets for key in assets.keys),
    *dbt_models.keys,
    *quota_risk.keys,  # with risk.seller_outlook and risk.territory_outlook, one step
    *strategic_gaps.keys,
]
# Prepared in the build folder before the publish, published with the warehouse.
planning_report = report_asset([*quota_risk.keys, *strategic_gaps.keys])
dbt_docs = dbt_docs_asset(built_tables)

defs = Definitions(
    assets=[
        build_file,
        *ingest_assets,
        dbt_models,
        quota_risk,
        strategic_gaps,
        planning_report,
        dbt_docs,
        warehouse_asset([*built_tables, *planning_report.keys, *dbt_docs.keys]),
    ],
    asset_checks=quality_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[
        run_log_on_success,
        run_log_on_failure,
        alert_on_run_failure,
        alert_on_check_failures,
        alert_on_stale_warehouse,
        nightly_on_new_extracts,
    ],
    loggers={"console": colored_console_logger, "step_events": step_events_logger},
    resources={
        "quota": QuotaPipelineResource(),
        "dbt": dbt_resource(),
    },
)
