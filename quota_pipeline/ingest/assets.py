"""The CRM extracts as Dagster assets (raw/<extract>), each with its quarantine check.

The loading and rule checks live in loader.py (no Dagster); this file only wires them:
one step that yields an asset per extract, with the dependencies on the extracts each
one references, metadata, and the check that fails (severity ERROR) when an extract's quarantined share exceeds the policy,
naming the first rejected row. It does not block by itself: the extract's GX raw suite
applies the same limit (policy max_quarantine_share) and blocks, so an over-limit extract
still gets its GX validation, details and Data Docs page before the run stops.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from quota_pipeline.asset_keys import BUILD_FILE_KEY, raw_key
from quota_pipeline.ingest.files import locate_extract
from quota_pipeline.ingest.loader import LoadResult, load_absent_extract, load_extract
from quota_pipeline.ingest.specs import EXTRACTS
from quota_pipeline.quality.gx_project import import_gx_in_background
from quota_pipeline.resources import QuotaPipelineResource

QUARANTINE_CHECK = "quarantine_within_policy"


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


@multi_asset(
    name="raw_extracts",
    specs=[
        AssetSpec(
            raw_key(spec.name),
            deps=[BUILD_FILE_KEY, *(raw_key(name) for name in spec.depends_on)],
            group_name="ingest",
            description=(
                f"Every row of {spec.name}.csv|parquet as text, with source line and "
                "quarantine flag."
            ),
            kinds={"duckdb"},
        )
        for spec in EXTRACTS
    ],
    check_specs=[
        AssetCheckSpec(
            QUARANTINE_CHECK,
            asset=raw_key(spec.name),
            blocking=False,  # the GX raw suite enforces the same limit and blocks
            description="Quarantined rows stay within the policy's max_quarantine_share.",
        )
        for spec in EXTRACTS
    ],
    description=(
        "Loads the CRM extracts (target_overrides optional), referenced ones first, into "
        "raw.* and dq.quarantine."
    ),
)
def raw_extracts(quota: QuotaPipelineResource) -> Iterator[MaterializeResult]:
    """All extracts in one step, in reference order (EXTRACTS): an extract's references are
    checked against extracts loaded before it, in the same build file. One step, not one per
    extract, so that the GX raw suites (one check step after it) can block everything
    downstream. An optional extract without a file loads as an empty raw table."""
    import_gx_in_background()  # the GX raw suites run next; their import overlaps the loads
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    limit = quota.policy.max_quarantine_share
    with quota.build_connection() as con:
        for spec in EXTRACTS:
            extract = locate_extract(quota.settings.extracts_dir, spec)
            if extract is None:  # an optional extract without a file: an empty raw table
                result = load_absent_extract(con, spec, quota.policy, loaded_at)
                source = MetadataValue.text("absent (optional extract)")
            else:
                result = load_extract(con, extract, quota.policy, loaded_at)
                source = MetadataValue.path(str(extract.path))
            key = raw_key(spec.name)
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": result.rows,
                    "quarantined": result.quarantined,
                    "source_file": source,
                },
                check_results=[_quarantine_check(result, limit, key)],
            )


ingest_assets: list[AssetsDefinition] = [raw_extracts]
