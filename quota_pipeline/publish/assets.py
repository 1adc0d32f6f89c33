"""Dagster assets at both ends of a run: the fresh build file, and its publication."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from quota_pipeline.publish.build import connect, publish_build, start_build
from quota_pipeline.resources import QuotaPipelineResource

BUILD_FILE_KEY = AssetKey(["publish", "build_file"])
PUBLISHED_SCHEMAS = ("raw", "dq", "staging", "intermediate", "marts", "risk")


@asset(
    key=BUILD_FILE_KEY, group_name="publish", description="The run's new, empty DuckDB build file."
)
def build_file(quota: QuotaPipelineResource) -> MaterializeResult:
    path = start_build(quota.settings)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})


def warehouse_asset(upstream: list[AssetKey]):  # noqa: ANN201 - a Dagster asset definition
    """The publish asset; it depends on every table the run builds."""

    @asset(
        key=AssetKey(["publish", "warehouse"]),
        deps=upstream,
        group_name="publish",
        description="Atomically replaces the published warehouse with this run's build file.",
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
        published = publish_build(quota.settings)
        context.log.info(f"published {published}")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(published)),
                "size_mb": round(published.stat().st_size / 1e6, 1),
                "tables": MetadataValue.md(
                    "| table | rows |\n|---|---|\n"
                    + "\n".join(f"| {name} | {rows:,} |" for name, rows in counts)
                ),
            }
        )

    return warehouse
