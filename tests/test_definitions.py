"""The Definitions load, and show the whole graph the UI must show."""

from dagster import AssetKey

from quota_pipeline.definitions import defs
from quota_pipeline.ingest.specs import EXTRACT_NAMES


def test_graph_has_every_stage():
    keys = {key for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {AssetKey(["raw", name]) for name in EXTRACT_NAMES} <= keys
    for expected in (
        ["staging", "stg_account_targets"],
        ["marts", "account_target_distribution"],
        ["marts", "seller_target_rollup"],
        ["marts", "territory_rollup"],
        ["risk", "quota_risk"],
        ["risk", "strategic_gaps"],
        ["publish", "warehouse"],
    ):
        assert AssetKey(expected) in keys


def test_dbt_tests_are_asset_checks_and_quarantine_checks_block():
    graph = defs.resolve_asset_graph()
    checks = graph.asset_check_keys
    assert any(check.asset_key == AssetKey(["marts", "seller_target_rollup"]) for check in checks)
    quarantine = [c for c in checks if c.name == "quarantine_within_policy"]
    assert len(quarantine) == len(EXTRACT_NAMES)


def test_nightly_schedule_at_two():
    schedule = defs.resolve_schedule_def("nightly_at_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "nightly_recompute"


def test_sources_are_the_ingest_assets():
    graph = defs.resolve_asset_graph()
    staging = graph.get(AssetKey(["staging", "stg_accounts"]))
    assert AssetKey(["raw", "accounts"]) in staging.parent_keys
