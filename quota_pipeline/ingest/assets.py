"""One Dagster asset per CRM extract, each with its quarantine check.

The loading and rule checks live in loader.py (no Dagster); this file only wires them:
keys raw/<extract>, dependencies on the extracts each one references, metadata, and the
check that fails (severity ERROR) when an extract's quarantined share exceeds the policy,
naming the first rejected row. It does not block by itself: the extract's GX raw suite
applies the same limit (policy max_quarantine_share) and blocks, so an over-limit extract
still gets its GX validation, details and Data Docs page before the run stops.
"""

from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from quota_pipeline.ingest.files import find_extract_file
from quota_pipeline.ingest.loader import LoadResult, load_extract
from quota_pipeline.ingest.specs import EXTRACTS, ExtractSpec
from quota_pipeline.publish.assets import BUILD_FILE_KEY
from quota_pipeline.resources import QuotaPipelineResource

QUARANTINE_CHECK = "quarantine_within_policy"


def raw_key(extract: str) -> AssetKey:
    return AssetKey(["raw", extract])


def _quarantine_check(result: LoadResult, limit: float, key: AssetKey) -> AssetCheckResult:
    passed = result.quarantine_share <= limit
    share = (
        f"{result.quarantined:,} of {result.rows:,} rows quarantined "
        f"({result.quarantine_share:.2%}; policy max_quarantine_share {limit:.2%})"
    )
    # A failing check leads with its first rejected row (file:line: column and rule), so
    # the one line an operator reads says what to fix, not just how much is wrong.
    first = result.sample_reasons[0] if result.sample_reasons and not passed else None
    return AssetCheckResult(
        asset_key=key,
        check_name=QUARANTINE_CHECK,
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=f"{first} ({share})" if first else share,
        metadata={
            "rows": result.rows,
            "quarantined": result.quarantined,
            "quarantine_share": result.quarantine_share,
            "max_quarantine_share": limit,
            "examples": MetadataValue.md(
                "\n".join(f"- {r}" for r in result.sample_reasons) or "none"
            ),
        },
    )


def build_ingest_asset(spec: ExtractSpec) -> AssetsDefinition:
    key = raw_key(spec.name)

    @asset(
        key=key,
        deps=[BUILD_FILE_KEY, *(raw_key(name) for name in spec.depends_on)],
        group_name="ingest",
        description=f"Every row of {spec.name}.csv|parquet as text, with source line and quarantine flag.",
        check_specs=[
            AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                blocking=False,  # the GX raw suite enforces the same limit and blocks
                description="Quarantined rows stay within the policy's max_quarantine_share.",
            )
        ],
        kinds={"duckdb"},
    )
    def _ingest(quota: QuotaPipelineResource) -> MaterializeResult:
        extract = find_extract_file(quota.settings.extracts_dir, spec)
        with quota.build_connection() as con:
            result = load_extract(
                con, extract, quota.policy, datetime.now(UTC).replace(tzinfo=None)
            )
        return MaterializeResult(
            metadata={
                "dagster/row_count": result.rows,
                "quarantined": result.quarantined,
                "source_file": MetadataValue.path(str(extract.path)),
            },
            check_results=[_quarantine_check(result, quota.policy.max_quarantine_share, key)],
        )

    return _ingest


ingest_assets: list[AssetsDefinition] = [build_ingest_asset(spec) for spec in EXTRACTS]
