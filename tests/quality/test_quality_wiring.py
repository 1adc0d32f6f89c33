"""The GX suites are asset checks of the nightly job, and the alert sensors are defined."""

from dagster import AssetKey

from quota_pipeline.definitions import defs
from quota_pipeline.ingest.specs import EXTRACT_NAMES
from quota_pipeline.quality.checks import DRIFT_CHECK, RAW_CHECK
from quota_pipeline.quality.suites import DRIFT_PROFILES


def test_every_suite_is_a_check_raw_ones_blocking():
    graph = defs.resolve_asset_graph()
    checks = {(check.asset_key, check.name): check for check in graph.asset_check_keys}
    for name in EXTRACT_NAMES:
        key = (AssetKey(["raw", name]), RAW_CHECK)
        assert key in checks
        assert graph.get_check_spec(checks[key]).blocking
    for profile in DRIFT_PROFILES:
        assert (AssetKey(profile.table.split(".")), DRIFT_CHECK) in checks


def test_nightly_job_runs_the_checks():
    job = defs.resolve_job_def("nightly_recompute")
    steps = {node.name for node in job.graph.node_defs}
    # one step for the eight raw suites, one per drift group (marts after dbt, risk after risk)
    assert {"gx_raw_suites", "gx_drift_suites_marts", "gx_drift_suites_risk"} <= steps


def test_alert_sensors_are_defined():
    for name in ("alert_on_run_failure", "alert_on_check_failures", "alert_on_stale_warehouse"):
        assert defs.resolve_sensor_def(name).name == name
