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

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from quota_pipeline.ingest.specs import EXTRACTS, ExtractSpec
from quota_pipeline.policy import Policy
from quota_pipeline.quality.results import SuiteOutcome
from quota_pipeline.quality.suites import (
    DRIFT_PROFILES,
    DriftProfile,
    load_suite,
    profile_sql,
    raw_frame_sql,
    suite_parameters,
)
from quota_pipeline.quality.validation import (
    SuiteOptions,
    read_frame,
    validate_frames,
    validate_queries,
)
from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.settings import Settings
from quota_pipeline.warehouse.duckdb_files import connect

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
    asset_key: AssetKey,
    check_name: str,
    outcome: SuiteOutcome,
    severity: AssetCheckSeverity,
    sample_size: int,
) -> AssetCheckResult:
    """A suite's outcome as a check result, logged once: raw suites ERROR, drift suites WARN."""
    description = _description(outcome)
    context.log.info(description)
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=outcome.success,
        severity=severity,
        description=description,
        metadata=outcome_metadata(outcome, sample_size),
    )


def raw_key(spec: ExtractSpec) -> AssetKey:
    return AssetKey(["raw", spec.name])


@multi_asset_check(
    name="gx_raw_suites",
    specs=[
        AssetCheckSpec(
            RAW_CHECK,
            asset=raw_key(spec),
            blocking=True,
            description=f"GX suite expectations/raw.{spec.name}.json on accepted rows; blocks the run.",
        )
        for spec in EXTRACTS
    ],
    description="Every raw extract's GX suite, validated in DuckDB as one GX run.",
)
def raw_suites(
    context: AssetCheckExecutionContext, quota: QuotaPipelineResource
) -> Iterator[AssetCheckResult]:
    """The blocking suites of the eight raw extracts, one step: one GX context, one Data
    Docs update (a step per suite paid GX's set-up and a site rebuild eight times)."""
    settings = quota.settings
    options = policy_options(quota.policy)
    suites = [(load_suite(f"raw.{spec.name}"), raw_frame_sql(spec)) for spec in EXTRACTS]
    with quota.build_connection() as con:
        outcomes = validate_queries(quality_folder(settings), con, suites, options)
    for spec, outcome in zip(EXTRACTS, outcomes, strict=True):
        yield _check_result(
            context,
            raw_key(spec),
            RAW_CHECK,
            outcome,
            AssetCheckSeverity.ERROR,
            options.sample_size,
        )


def profile_frame_sql(profile: DriftProfile, has_previous: bool) -> str:
    """This run's per-period profile joined with the published one (ratios null without)."""
    current = profile_sql(profile)
    if not has_previous:
        return (
            f"select *, null::double as row_count_ratio, null::double as target_total_ratio "
            f"from ({current}) order by period"
        )
    previous = profile_sql(profile, PUBLISHED)
    ranges = "".join(f"c.{name}, " for name in profile.bound_columns)
    return f"""
        select coalesce(c.period, p.period) as period, c.row_count, c.target_total,
            c.null_target_share, {ranges}
            coalesce(c.row_count, 0) / nullif(p.row_count, 0) as row_count_ratio,
            coalesce(c.target_total, 0) / nullif(p.target_total, 0) as target_total_ratio
        from ({current}) c full join ({previous}) p on c.period = p.period
        order by 1
    """


def _attach_published(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Attach the last published warehouse read-only; False when there is none to compare."""
    if not settings.warehouse.exists():
        return False
    try:
        path = str(settings.warehouse).replace("'", "''")
        con.execute(f"attach '{path}' as {PUBLISHED} (read_only)")
    except duckdb.Error:
        return False
    return True


def _published_has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        con.execute(f"select 1 from {PUBLISHED}.{table} limit 0")
    except duckdb.Error:
        return False
    return True


def drift_outcomes(
    settings: Settings, policy: Policy, profiles: Sequence[DriftProfile]
) -> list[SuiteOutcome]:
    """This run's drift suites for ``profiles``, against the last published warehouse.

    A table the published warehouse does not have yet (first run, new table) skips the
    expectations that compare with it; the others still compare.
    """
    suites = []
    with connect(settings.build_file) as con:
        attached = _attach_published(con, settings)
        for profile in profiles:
            has_previous = attached and _published_has(con, profile.table)
            frame = read_frame(con, profile_frame_sql(profile, has_previous))
            options = policy_options(policy, has_previous=has_previous, index_columns=("period",))
            suites.append((load_suite(profile.table), frame, options))
    return validate_frames(quality_folder(settings), suites)


def build_drift_check(name: str, profiles: Sequence[DriftProfile]) -> AssetChecksDefinition:
    """One step of warning suites (marts or risk tables), against the last published run."""
    keys = [AssetKey(profile.table.split(".")) for profile in profiles]

    @multi_asset_check(
        name=name,
        specs=[
            AssetCheckSpec(
                DRIFT_CHECK,
                asset=key,
                # Blocking only orders the steps (publish waits for this check, which reads
                # the build file); a WARN result never stops downstream assets.
                blocking=True,
                description=(
                    f"GX suite expectations/{profile.table}.json: per-period rows, total "
                    "targets and null-target share against the last published warehouse; "
                    "warns only."
                ),
            )
            for profile, key in zip(profiles, keys, strict=True)
        ],
        description="Drift suites against the last published warehouse, as one GX run; warn only.",
    )
    def _drift_suites(
        context: AssetCheckExecutionContext, quota: QuotaPipelineResource
    ) -> Iterator[AssetCheckResult]:
        sample_size = quota.policy.quality.sample_size
        try:
            outcomes = drift_outcomes(quota.settings, quota.policy, profiles)
        except Exception as error:
            context.log.warning(f"drift suites {name} could not run: {error}")
            for profile, key in zip(profiles, keys, strict=True):
                yield AssetCheckResult(
                    asset_key=key,
                    check_name=DRIFT_CHECK,
                    passed=False,
                    severity=AssetCheckSeverity.WARN,
                    description=f"GX suite {profile.table} could not run: {type(error).__name__}",
                )
            return
        for key, outcome in zip(keys, outcomes, strict=True):
            yield _check_result(
                context, key, DRIFT_CHECK, outcome, AssetCheckSeverity.WARN, sample_size
            )

    return _drift_suites


def _profiles(schema: str) -> list[DriftProfile]:
    return [profile for profile in DRIFT_PROFILES if profile.table.startswith(f"{schema}.")]


# Two steps: the marts' suites run once dbt is done; the risk tables' once risk is. One
# step for all of them would wait for risk, and (blocking, for ordering) hold risk back.
drift_suite_checks: list[AssetChecksDefinition] = [
    build_drift_check("gx_drift_suites_marts", _profiles("marts")),
    build_drift_check("gx_drift_suites_risk", _profiles("risk")),
]
quality_checks: list[AssetChecksDefinition] = [raw_suites, *drift_suite_checks]
