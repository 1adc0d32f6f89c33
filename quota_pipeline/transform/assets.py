"""dbt models as Dagster assets: one @dbt_assets over the whole project.

One definition (not split by selection) so that a failing dbt test stops everything
downstream in the same step (dagster issues 25112, 19821). dbt sources map onto the
ingest assets (raw/<extract>), models onto <schema>/<model>, and dbt data tests become
asset checks. The dbt profile writes into this run's build file.
"""

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from quota_pipeline.resources import QuotaPipelineResource
from quota_pipeline.transform.project import dbt_environment, dbt_project, dbt_vars, ensure_manifest
from quota_pipeline.warehouse.engines import active_engine
from quota_pipeline.warehouse.sync import copy_models_back, ship_raw


class QuotaDbtTranslator(DagsterDbtTranslator):
    """Keys by warehouse schema: raw/<table> for sources, <schema>/<model> for models."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props["schema"]
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        return "transform"


def run_target_path(build_dir: Path) -> Path:
    """This warehouse's own dbt target folder, seeded with the build's partial parse.

    Runs on different warehouses (tests, benchmarks, a UI run beside a CLI run) never share
    dbt's artifacts; the copied partial_parse.msgpack spares each run a full parse.
    """
    target = build_dir / "dbt_target"
    target.mkdir(parents=True, exist_ok=True)
    partial_parse = dbt_project.target_path / "partial_parse.msgpack"
    if partial_parse.exists():
        shutil.copy2(partial_parse, target / partial_parse.name)
    return target


translator = QuotaDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, project=dbt_project)
def dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, quota: QuotaPipelineResource
) -> Iterator[Any]:
    os.environ.update(dbt_environment(quota.settings.build_file))
    # postgres / spark: the engine gets raw.* and dq.* first, and the embedded build file
    # gets the marts back after a passing build; duckdb (None) builds in place as before.
    engine = active_engine()
    if engine is not None:
        shipped = ship_raw(engine, quota.settings.build_file)
        context.log.info(f"{shipped} raw/dq tables shipped to {engine.name}")
    invocation = dbt.cli(
        # Unit tests check the SQL, not the night's data: they run in the test suite.
        ["build", "--vars", dbt_vars(quota.policy), "--exclude-resource-type", "unit_test"],
        context=context,
        target_path=run_target_path(quota.settings.build_dir),
    )
    yield from invocation.stream()
    if engine is not None:
        copy_models_back(engine, quota.settings.build_file)
