"""dbt models as Dagster assets: one @dbt_assets over the whole project.

One definition (not split by selection) so that a failing dbt test stops everything
downstream in the same step (dagster issues 25112, 19821). dbt sources map onto the
ingest assets (raw/<extract>), models onto <schema>/<model>, and dbt data tests become
asset checks. The dbt profile writes into this run's build file.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    dbt_assets,
)

from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.transform.project import (
    DBT_TARGET,
    NightlyDbtCliResource,
    dbt_environment,
    dbt_project,
    dbt_vars,
    ensure_manifest,
)
from quota_pipeline.transform.stamp import dbt_build_digest, record_stamp
from quota_pipeline.warehouse.engines import active_warehouse

# Tags of dbt tests that the nightly build excludes (no asset check either); `dbt build`
# and the test suite run them. covered_by_gx_raw_suite: a staging test that re-checks, on
# the same rows, a rule the extract's blocking GX raw suite checked earlier in the run.
# sql_invariant: true of any input by the model's SQL, like a unit test it checks the SQL,
# not the night's data. The model YAMLs say which tests carry them and why.
COVERED_BY_GX = "covered_by_gx_raw_suite"
SQL_INVARIANT = "sql_invariant"
NIGHTLY_SKIPPED_TAGS = (COVERED_BY_GX, SQL_INVARIANT)
# One --exclude value (dbt splits it on spaces): dagster-dbt moves --exclude and its
# first value behind its own --select, so a second value would land on another flag.
NIGHTLY_EXCLUDES = [
    "--exclude-resource-type",
    "unit_test",
    "--exclude",
    " ".join(f"tag:{tag}" for tag in NIGHTLY_SKIPPED_TAGS),
]
# Nobody reads the build's manifest.json and run_results.json (Dagster takes the results
# from dbt's structured log; the docs step needs only the partial parse, which dbt still
# writes): serialising them was 1-2 s of dbt's 10-12 s at 1M accounts.
NIGHTLY_ARTIFACTS = ["--no-write-json"]
# dbt's own log file (dbt.log in the target folder) keeps warnings and errors only: at
# debug level it wrote every event and SQL statement, about 1 s of dbt's CPU at 100k
# accounts. Every line dbt prints still reaches the run's log through Dagster.
NIGHTLY_LOGGING = ["--log-level-file", "warn"]


class QuotaDbtTranslator(DagsterDbtTranslator):
    """Keys by warehouse schema: raw/<table> for sources, <schema>/<model> for models."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props["schema"]
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_asset_check_spec(
        self,
        asset_spec: AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> AssetCheckSpec | None:
        """No asset check for a dbt test the nightly build excludes (NIGHTLY_SKIPPED_TAGS)."""
        if set(NIGHTLY_SKIPPED_TAGS) & set(manifest["nodes"][unique_id].get("tags", [])):
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        return "transform"


def run_target_path(build_dir: Path) -> Path:
    """This warehouse's own dbt target folder, kept from one night to the next.

    Runs on different warehouses (tests, benchmarks, a UI run beside a CLI run) never share
    dbt's artifacts. dagster-dbt seeds the folder with the project's partial_parse.msgpack
    when it has none. dbt only reuses a partial parse made with the same profile, and the
    profile names this warehouse's build file, so the seed from `make manifest` is always
    re-parsed in full (about 3 s). The folder is therefore not reset between runs: from the
    second night on, dbt finds its own partial parse of the night before.
    """
    target = build_dir / "dbt_target"
    target.mkdir(parents=True, exist_ok=True)
    return target


translator = QuotaDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, project=dbt_project)
def dbt_models(
    context: AssetExecutionContext, dbt: NightlyDbtCliResource, quota: QuotaPipelineResource
) -> Iterator[Any]:
    build_file = quota.settings.build_file
    # postgres / spark: the engine gets raw.* and dq.* first, and the embedded build file
    # gets the marts back after a passing build; duckdb builds in the file itself (no-ops).
    # PostgreSQL builds into <schema>__next (published together by the publish step).
    warehouse = active_warehouse()
    warehouse.start_run(context.run_id)
    shipped = warehouse.ship_raw(build_file)
    if shipped:
        context.log.info(f"{shipped} raw/dq tables shipped to {warehouse.name}")
    variables = dbt_vars(quota.policy, warehouse.build_vars())
    # The stamp a scenario checks before it keeps a published table (transform/stamp.py):
    # only a complete DuckDB build in place has one; any other build removes it first.
    stamp = _build_stamp(context, quota, warehouse.builds_in_build_file)
    record_stamp(build_file, None)
    invocation = dbt.cli(
        # Unit tests and sql_invariant tests check the SQL, not the night's data, and
        # covered_by_gx_raw_suite tests repeat a GX rule: the test suite runs them all.
        ["build", "--vars", variables, *NIGHTLY_ARTIFACTS, *NIGHTLY_LOGGING, *NIGHTLY_EXCLUDES],
        context=context,
        target_path=run_target_path(quota.settings.build_dir),
        env=dbt_environment(build_file),
    )
    yield from invocation.stream()
    record_stamp(build_file, stamp)
    warehouse.copy_models_back(build_file)


def _build_stamp(
    context: AssetExecutionContext, quota: QuotaPipelineResource, in_place: bool
) -> str | None:
    """The build's dbt digest, or None when its models are not all built here by DuckDB."""
    complete = set(context.selected_asset_keys) >= set(context.assets_def.keys)
    if not (in_place and complete and DBT_TARGET == "duckdb"):
        return None
    return dbt_build_digest(quota.policy, quota.settings.build_file.stem)
