"""The Definitions load, and show the whole graph the UI must show."""

from dagster import AssetKey
from support import REPO

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
        ["risk", "seller_outlook"],
        ["risk", "territory_outlook"],
        ["publish", "warehouse"],
    ):
        assert AssetKey(expected) in keys


def test_dbt_tests_are_asset_checks_and_raw_gx_suites_block():
    graph = defs.resolve_asset_graph()
    checks = graph.asset_check_keys
    assert any(check.asset_key == AssetKey(["marts", "seller_target_rollup"]) for check in checks)
    for name in ("quarantine_within_policy", "gx_raw_suite"):
        on_raw = {c.asset_key for c in checks if c.name == name}
        assert on_raw == {AssetKey(["raw", extract]) for extract in EXTRACT_NAMES}
    # The quarantine check names the first bad row; the GX suite (same limit) blocks, so
    # an over-limit extract is still validated by GX before the run stops.
    blocking = {
        c.name: graph.get_check_spec(c).blocking for c in checks if c.asset_key.path[0] == "raw"
    }
    assert blocking == {"quarantine_within_policy": False, "gx_raw_suite": True}


def test_nightly_schedule_at_two():
    schedule = defs.resolve_schedule_def("nightly_at_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "nightly_recompute"


def test_sources_are_the_ingest_assets():
    graph = defs.resolve_asset_graph()
    staging = graph.get(AssetKey(["staging", "stg_accounts"]))
    assert AssetKey(["raw", "accounts"]) in staging.parent_keys


def test_workspace_yaml_loads_the_same_definitions(tmp_path):
    """What `dagster dev -w workspace.yaml` loads: validated by Dagster's own CLI."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr
