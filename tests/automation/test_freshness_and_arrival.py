"""Dagster-native freshness of the published warehouse, and the sensor that starts the
job when a complete new set of extracts has arrived (the alternative to the schedule)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta

import pytest
from dagster import DefaultSensorStatus, RunRequest, SkipReason
from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.asset_keys import WAREHOUSE_KEY
from quota_pipeline.automation.arrival import SETTLE_SECONDS, arrival_request
from quota_pipeline.policy import load_policy
from quota_pipeline.publish.opsdb import RunRecord, record_run
from quota_pipeline.settings import Settings


def test_published_warehouse_declares_its_freshness():
    from quota_pipeline.definitions import defs

    spec = defs.resolve_assets_def(WAREHOUSE_KEY).specs_by_key[WAREHOUSE_KEY]
    hours = load_policy(POLICY_FILE).stale_after_hours
    assert spec.freshness_policy is not None
    assert spec.freshness_policy.fail_window.to_timedelta() == timedelta(hours=hours)


def test_arrival_sensor_is_registered_and_stopped_by_default():
    from quota_pipeline.definitions import defs

    sensor = defs.resolve_sensor_def("nightly_on_new_extracts")
    assert sensor.default_status == DefaultSensorStatus.STOPPED
    assert sensor.job_name == "nightly_recompute"


@pytest.fixture
def settings(tmp_path) -> Settings:
    extracts = tmp_path / "extracts"
    shutil.copytree(SMALL_FIXTURE, extracts)
    settled = time.time() - SETTLE_SECONDS - 60
    for path in extracts.iterdir():
        os.utime(path, (settled, settled))
    return Settings(
        extracts_dir=extracts,
        warehouse=tmp_path / "out" / "warehouse.duckdb",
        ops_db=tmp_path / "out" / "ops.duckdb",
        policy_file=POLICY_FILE,
    )


def test_a_complete_settled_new_set_starts_one_run(settings):
    first = arrival_request(settings, cursor=None)
    assert isinstance(first, RunRequest) and first.run_key
    again = arrival_request(settings, cursor=first.run_key)
    assert isinstance(again, SkipReason) and "already started" in again.skip_message
    # once that set is published, it is not new either
    record_run(
        settings.ops_db,
        RunRecord("night-1", None, None, "success", fingerprint=first.run_key),
    )
    published = arrival_request(settings, cursor=None)
    assert isinstance(published, SkipReason) and "night-1" in published.skip_message


def test_an_incomplete_or_unsettled_drop_waits(settings):
    (settings.extracts_dir / "quotas.csv").unlink()
    missing = arrival_request(settings, cursor=None)
    assert isinstance(missing, SkipReason) and "quotas" in missing.skip_message
    shutil.copy(SMALL_FIXTURE / "quotas.csv", settings.extracts_dir)
    copying = arrival_request(settings, cursor=None)  # quotas.csv written just now
    assert isinstance(copying, SkipReason) and "waiting" in copying.skip_message
