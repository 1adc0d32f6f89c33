"""GX suites as Dagster asset checks.

Raw-extract suites are blocking (``blocking=True``, severity ERROR): when one fails, no
dbt model, risk table or publish step runs, so the published warehouse stays as it was.
Drift suites on marts and risk tables only warn (severity WARN): they compare this run
with the last published warehouse, opened read-only and attached only when it exists.
They are declared blocking too, but only so that publish waits for them (they read the
build file); a WARN result never stops a step. Each check reads its table once, runs its
whole suite in one GX validation and puts the summary, a few unexpected values and the
Data Docs page in its metadata.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from quota_pipeline.ingest.specs import EXTRACTS, ExtractSpec
from quota_pipeline.policy import Policy
from quota_pipeline.quality.runner import (
    SuiteOptions,
    SuiteOutcome,
    read_frame,
    validate_frame,
    validate_query,
)
from quota_pipeline.quality.suites import (
    DRIFT_PROFILES,
    DriftProfile,
    load_suite,
    profile_sql,
    raw_frame_sql,
    suite_parameters,
)
from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.settings import Settings

RAW_CHECK = "gx_raw_suite"
DRIFT_CHECK = "gx_drift_suite"
PUBLISHED = "published"


def quality_folder(settings: Settings) -> Path:
    """The GX project and its Data Docs site, beside the warehouse."""
    return settings.warehouse.parent / "quality"


def policy_options(policy: Policy, **changes: Any) -> SuiteOptions:
    """The policy's thresholds, sample size and kept results, for every suite of a run."""
    options = SuiteOptions(
        parameters=suite_parameters(policy),
        sample_size=policy.quality.sample_size,
        keep_results=policy.keep_published_runs,
    )
    return replace(options, **changes)


def outcome_metadata(outcome: SuiteOutcome, sample_size: int) -> dict[str, object]:
    """What the Dagster UI shows for one suite run."""
    metadata: dict[str, object] = {
        "suite": outcome.suite,
        "rows_validated": outcome.rows,
        "expectations_evaluated": outcome.evaluated,
        "expectations_failed": len(outcome.failed),
        "unexpected_rows": outcome.unexpected_rows,
        "gx_seconds": round(outcome.seconds, 3),
        "failures": MetadataValue.md(
            "\n".join(f"- {item.line()}" for item in outcome.failed) or "none"
        ),
        "examples": MetadataValue.md(
            "\n".join(
                f"- {item.column or item.expectation}: {example}"
                for item in outcome.failed
                for example in item.examples[:sample_size]
            )[:4000]
            or "none"
        ),
    }
    if outcome.docs_page is not None:
        metadata["data_docs"] = MetadataValue.path(str(outcome.docs_page))
        metadata["data_docs_url"] = MetadataValue.url(outcome.docs_page.as_uri())
    if outcome.skipped:
        metadata["skipped_no_previous_run"] = MetadataValue.md(
            "\n".join(f"- {item}" for item in outcome.skipped)
        )
    return metadata


def _description(outcome: SuiteOutcome) -> str:
    if outcome.success:
        return f"GX suite {outcome.suite}: {outcome.evaluated} expectations met on {outcome.rows:,} rows"
    return (
        f"GX suite {outcome.suite}: {len(outcome.failed)} of {outcome.evaluated} expectations "
        f"failed, {outcome.unexpected_rows:,} unexpected rows"
    )


def _check_result(
    context: AssetCheckExecutionContext,
    outcome: SuiteOutcome,
    severity: AssetCheckSeverity,
    sample_size: int,
) -> AssetCheckResult:
    """A suite's outcome as a check result, logged once: raw suites ERROR, drift suites WARN."""
    description = _description(outcome)
    context.log.info(description)
    return AssetCheckResult(
        passed=outcome.success,
        severity=severity,
        description=description,
        metadata=outcome_metadata(outcome, sample_size),
    )


def build_raw_check(spec: ExtractSpec) -> AssetChecksDefinition:
    """The blocking suite of one raw extract, on its accepted rows."""
    table = f"raw.{spec.name}"

    @asset_check(
        asset=AssetKey(["raw", spec.name]),
        name=RAW_CHECK,
        blocking=True,
        description=f"GX suite expectations/{table}.json on accepted rows; blocks the run.",
    )
    def _raw_suite(
        context: AssetCheckExecutionContext, quota: QuotaPipelineResource
    ) -> AssetCheckResult:
        settings = quota.settings
        options = policy_options(quota.policy)
        with quota.build_connection() as con:
            outcome = validate_query(
                quality_folder(settings),
                load_suite(table),
                con,
                raw_frame_sql(spec),
                options,
            )
        return _check_result(context, outcome, AssetCheckSeverity.ERROR, options.sample_size)

    return _raw_suite


def profile_frame_sql(profile: DriftProfile, has_previous: bool) -> str:
    """This run's per-period profile joined with the published one (ratios null without)."""
    current = profile_sql(profile)
    if not has_previous:
        return (
            f"select *, null::double as row_count_ratio, null::double as target_total_ratio "
            f"from ({current}) order by period"
        )
    previous = profile_sql(profile, PUBLISHED)
    return f"""
        select coalesce(c.period, p.period) as period, c.row_count, c.target_total,
            c.null_target_share,
            coalesce(c.row_count, 0) / nullif(p.row_count, 0) as row_count_ratio,
            coalesce(c.target_total, 0) / nullif(p.target_total, 0) as target_total_ratio
        from ({current}) c full join ({previous}) p on c.period = p.period
        order by 1
    """


def _attach_published(con: duckdb.DuckDBPyConnection, settings: Settings, table: str) -> bool:
    """Attach the last published warehouse read-only; False when there is none to compare."""
    if not settings.warehouse.exists():
        return False
    try:
        path = str(settings.warehouse).replace("'", "''")
        con.execute(f"attach '{path}' as {PUBLISHED} (read_only)")
        con.execute(f"select 1 from {PUBLISHED}.{table} limit 0")
    except duckdb.Error:
        return False
    return True


def build_drift_check(profile: DriftProfile) -> AssetChecksDefinition:
    """The warning suite of one mart or risk table, against the last published run."""
    schema, name = profile.table.split(".")

    @asset_check(
        asset=AssetKey([schema, name]),
        name=DRIFT_CHECK,
        # Blocking only orders the steps (publish waits for this check, which reads the
        # build file); a WARN result never stops downstream assets.
        blocking=True,
        description=(
            f"GX suite expectations/{profile.table}.json: per-period rows, total targets and "
            "null-target share against the last published warehouse; warns only."
        ),
    )
    def _drift_suite(
        context: AssetCheckExecutionContext, quota: QuotaPipelineResource
    ) -> AssetCheckResult:
        settings = quota.settings
        policy = quota.policy
        try:
            with quota.build_connection() as con:
                has_previous = _attach_published(con, settings, profile.table)
                frame = read_frame(con, profile_frame_sql(profile, has_previous))
            outcome = validate_frame(
                quality_folder(settings),
                load_suite(profile.table),
                frame,
                policy_options(policy, has_previous=has_previous, index_columns=("period",)),
            )
        except Exception as error:
            context.log.warning(f"drift suite {profile.table} could not run: {error}")
            return AssetCheckResult(
                passed=False,
                severity=AssetCheckSeverity.WARN,
                description=f"GX suite {profile.table} could not run: {type(error).__name__}",
            )
        return _check_result(context, outcome, AssetCheckSeverity.WARN, policy.quality.sample_size)

    return _drift_suite


raw_suite_checks: list[AssetChecksDefinition] = [build_raw_check(spec) for spec in EXTRACTS]
drift_suite_checks: list[AssetChecksDefinition] = [
    build_drift_check(profile) for profile in DRIFT_PROFILES
]
quality_checks: list[AssetChecksDefinition] = [*raw_suite_checks, *drift_suite_checks]
