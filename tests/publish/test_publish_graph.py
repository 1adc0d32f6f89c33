"""The report and the dbt docs are built before the publish, from every table of the run."""

from dagster import AssetKey

from quota_pipeline.definitions import defs

PUBLISH = AssetKey(["publish", "warehouse"])
REPORT = AssetKey(["publish", "planning_report"])
DOCS = AssetKey(["publish", "dbt_docs"])


def test_report_and_docs_feed_the_publish():
    graph = defs.resolve_asset_graph()
    assert {REPORT, DOCS} <= graph.get(PUBLISH).parent_keys
    assert AssetKey(["risk", "quota_risk"]) in graph.get(REPORT).parent_keys
    assert AssetKey(["risk", "strategic_gaps"]) in graph.get(DOCS).parent_keys
    assert AssetKey(["marts", "territory_rollup"]) in graph.get(DOCS).parent_keys


def test_risk_sources_do_not_become_extra_assets():
    """risk.* are dbt sources for the docs only: the Polars assets stay their one owner."""
    graph = defs.resolve_asset_graph()
    quota_risk = graph.get(AssetKey(["risk", "quota_risk"]))
    assert quota_risk.is_materializable
    assert AssetKey(["marts", "seller_target_rollup"]) in quota_risk.parent_keys
