"""Dagster assets at both ends of a run: the fresh build file, and its publication.

Before the publish, the run also prepares what is published with the warehouse: the
planning report (compared with the warehouse still published) and the dbt docs site.
Both are built in the build folder, so a failure there publishes nothing, like any step.
"""

import time
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from quota_pipeline.analysis.dbt_docs import (
    describe_build,
    docs_key,
    generate_docs,
    reuse_published_docs,
    stamp_docs,
)
from quota_pipeline.asset_keys import BUILD_FILE_KEY, DBT_DOCS_KEY, REPORT_KEY, WAREHOUSE_KEY
from quota_pipeline.errors import QuotaPipelineError
from quota_pipeline.policy import load_policy
from quota_pipeline.publish.build import (
    BUILD_DOCS_NAME,
    BUILD_REPORT_NAME,
    publish_artifacts,
    publish_build,
    start_build,
)
from quota_pipeline.publish.opsdb import record_run
from quota_pipeline.publish.retention import keep_artifacts, list_history, prune_reports
from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.settings import DBT_PROJECT_DIR, Settings
from quota_pipeline.warehouse.duckdb_files import connect
from quota_pipeline.warehouse.engines import active_warehouse

TOP_RISKS_SQL = """
select period, seller_id, risk_level, quota, recommended_quota,
    round(quota_to_capacity_ratio, 2) as ratio, array_to_string(reasons, '; ') as reasons
from risk.quota_risk
where risk_level in ('critical', 'high')
order by period, case risk_level when 'critical' then 0 else 1 end,
    quota_to_capacity_ratio desc nulls first, seller_id
limit 10
"""
PUBLISHED_SCHEMAS = ("raw", "dq", "staging", "intermediate", "marts", "risk")


@asset(
    key=BUILD_FILE_KEY, group_name="publish", description="The run's new, empty DuckDB build file."
)
def build_file(quota: QuotaPipelineResource) -> MaterializeResult:
    path = start_build(quota.settings)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})


def published_freshness() -> FreshnessPolicy | None:
    """Dagster's own freshness for the published warehouse: stale when it was not
    published for the policy's stale_after_hours, so the UI shows it without a sensor.
    None when the policy cannot be read now (the run itself then says why, in one line)."""
    try:
        hours = load_policy(Settings.from_env().policy_file).stale_after_hours
    except QuotaPipelineError:
        return None
    return FreshnessPolicy.time_window(fail_window=timedelta(hours=hours))


def warehouse_asset(upstream: list[AssetKey]):  # noqa: ANN201 - a Dagster asset definition
    """The publish asset; it depends on every table the run builds."""

    @asset(
        key=WAREHOUSE_KEY,
        deps=upstream,
        group_name="publish",
        description="Atomically replaces the published warehouse with this run's build file.",
        freshness_policy=published_freshness(),
    )
    def warehouse(
        context: AssetExecutionContext, quota: QuotaPipelineResource
    ) -> MaterializeResult:
        with connect(quota.settings.build_file) as con:
            counts = con.execute(
                "select schema_name || '.' || table_name, estimated_size "
                "from duckdb_tables() where schema_name in ('raw','dq','marts','risk') "
                "order by 1"
            ).fetchall()
            top_risks = con.execute(TOP_RISKS_SQL).fetchall()
        keep = quota.policy.keep_published_runs
        publish_engine(context)
        published = publish_build(quota.settings, run_id=context.run_id, keep_published_runs=keep)
        artifacts = publish_artifacts(quota.settings, datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
        prune_reports(published.parent / "reports", keep)
        keep_artifacts(published, context.run_id)  # rollback restores them too
        record_published_run(context, quota.settings)
        kept = list_history(published)
        context.log.info(f"published {published}; {len(kept)} runs kept for rollback")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(published)),
                "size_mb": round(published.stat().st_size / 1e6, 1),
                **{name: MetadataValue.path(str(path)) for name, path in artifacts.items()},
                "kept_runs": MetadataValue.md(
                    "\n".join(
                        f"- {entry.published_at:%Y-%m-%d %H:%M:%S} {entry.run_id}" for entry in kept
                    )
                ),
                "top_risks": markdown_table(
                    ["period", "seller", "risk", "quota", "recommended", "ratio", "reasons"],
                    top_risks,
                ),
                "tables": MetadataValue.md(
                    "| table | rows |\n|---|---|\n"
                    + "\n".join(f"| {name} | {rows:,} |" for name, rows in counts)
                ),
            }
        )

    return warehouse


def publish_engine(context: AssetExecutionContext) -> None:
    """PostgreSQL: this run's schemas replace the published ones in one transaction, just
    before the file rename (an engine that refuses stops the run with nothing published).
    Spark replaced its tables as the steps ran; for DuckDB the file rename is the publish."""
    warehouse = active_warehouse()
    if warehouse.publish(context.run_id):
        context.log.info(f"{warehouse.name}: run {context.run_id} published")


def record_published_run(context: AssetExecutionContext, settings: Settings) -> None:
    """The run's run_log row, written by the run itself as it publishes: a run launched
    any way (UI, schedule, a Python script, a job of the user's own) is on record even where
    no sensor runs. The CLI and the sensors upsert the same row later (finish time,
    fingerprint). A locked operations database costs the row, never the publish."""
    from quota_pipeline.automation.run_log import summarise_run

    try:
        record_run(settings.ops_db, summarise_run(context.instance, context.run_id, "success"))
    except Exception as error:
        context.log.warning(f"run_log row not written ({type(error).__name__}: {error})")


def markdown_table(columns: list[str], rows: list[tuple[object, ...]]) -> MetadataValue:
    """A markdown table for the Dagster UI; pipes in values are escaped."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = ("" if value is None else str(value).replace("|", "\\|") for value in row)
        lines.append("| " + " | ".join(cells) + " |")
    return MetadataValue.md("\n".join(lines))


def report_asset(upstream: list[AssetKey]):  # noqa: ANN201 - a Dagster asset definition
    """The planning report of this run, compared with the warehouse still published."""

    @asset(
        key=REPORT_KEY,
        deps=upstream,
        group_name="publish",
        kinds={"html", "altair"},
        description="Self-contained HTML planning report (charts inline); published beside the warehouse.",
    )
    def planning_report(
        context: AssetExecutionContext, quota: QuotaPipelineResource
    ) -> MaterializeResult:
        # the report's chart libraries (altair, jsonschema) load when the report is built,
        # not with the definitions: the run's start-up and the UI do not wait for them
        from quota_pipeline.analysis.report import build_report
        from quota_pipeline.analysis.report.outlook import DesignBand

        settings = quota.settings
        design = quota.policy.outlook.attainment_design
        result = build_report(
            settings.build_file,
            settings.warehouse,
            settings.build_dir / BUILD_REPORT_NAME,
            generated_at=datetime.now(UTC).replace(tzinfo=None),
            run_id=context.run_id,
            cache_dir=settings.warehouse.parent / ".cache",
            design=DesignBand(design.min, design.max),
        )
        context.log.info(f"planning report for {result.period} built in {result.seconds:.1f} s")
        return MaterializeResult(
            metadata={
                "report_path": MetadataValue.path(
                    str(settings.warehouse.parent / BUILD_REPORT_NAME)
                ),
                "period": result.period,
                "seconds": round(result.seconds, 2),
                "risk_level_moves": result.risk_moves,
                "newly_quarantined": result.new_quarantined,
                "top_risks": markdown_table(
                    list(result.top_risks.columns), list(result.top_risks.head(10).iter_rows())
                ),
            }
        )

    return planning_report


def dbt_docs_asset(upstream: list[AssetKey]):  # noqa: ANN201 - a Dagster asset definition
    """The dbt docs site of this run: a step of its own (4-5 s of dbt start-up when the
    project or the schema changed; the published site is kept otherwise)."""

    @asset(
        key=DBT_DOCS_KEY,
        deps=upstream,
        group_name="publish",
        kinds={"dbt"},
        description="dbt docs generate --static against the build file; published as docs/.",
    )
    def dbt_docs(context: AssetExecutionContext, quota: QuotaPipelineResource) -> MaterializeResult:
        from quota_pipeline.transform.project import (
            DBT_EXECUTABLE,
            DBT_TARGET,
            dbt_environment,
            dbt_project,
            dbt_vars,
        )

        settings = quota.settings
        started = time.perf_counter()
        variables = dbt_vars(quota.policy)
        out_dir = settings.build_dir / BUILD_DOCS_NAME
        key = docs_key(settings.build_file, DBT_PROJECT_DIR, variables, DBT_TARGET)
        published = settings.warehouse.parent / BUILD_DOCS_NAME
        reused = reuse_published_docs(published, out_dir, key)
        if not reused:
            # the night's own partial parse (same profile), else the project's parse
            run_target = settings.build_dir / "dbt_target"
            parsed = (
                run_target
                if (run_target / "partial_parse.msgpack").exists()
                else dbt_project.target_path
            )
            generate_docs(
                dbt_executable=DBT_EXECUTABLE,
                project_dir=DBT_PROJECT_DIR,
                parsed_target=parsed,
                work_dir=settings.build_dir / "docs_target",
                out_dir=out_dir,
                dbt_vars=variables,
                target=DBT_TARGET,
                env=dbt_environment(settings.build_file),
            )
            stamp_docs(out_dir, key)
        described = describe_build(settings.build_file, out_dir / "manifest.json")
        seconds = time.perf_counter() - started
        how = "unchanged project and schema: published site kept" if reused else "generated"
        context.log.info(f"dbt docs {how} in {seconds:.1f} s ({described} descriptions)")
        return MaterializeResult(
            metadata={
                "docs_path": MetadataValue.path(
                    str(settings.warehouse.parent / BUILD_DOCS_NAME / "index.html")
                ),
                "descriptions": described,
                "regenerated": not reused,
                "docs_key": key,
                "seconds": round(seconds, 1),
            }
        )

    return dbt_docs
