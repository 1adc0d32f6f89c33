"""deploy/dagster.yaml loads against a real PostgreSQL and stores runs and events there.

The CI PostgreSQL (.ci/run) provides QUOTA_DAGSTER_PG_URL; without it the test skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, job, op
from dagster._core.run_coordinator import QueuedRunCoordinator
from support import REPO

DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"


@op
def hello() -> int:
    return 1


@job
def smoke() -> None:
    hello()


def test_instance_uses_postgres_and_a_one_run_queue(tmp_path: Path, monkeypatch) -> None:
    if not os.environ.get("QUOTA_DAGSTER_PG_URL"):
        pytest.skip("QUOTA_DAGSTER_PG_URL not set: no PostgreSQL for Dagster (.ci/run starts one)")
    pytest.importorskip("dagster_postgres", reason="dagster-postgres not installed")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        assert coordinator.get_run_queue_config().max_concurrent_runs == 1
        limits = {
            limit["key"]: limit["limit"]
            for limit in coordinator.inst_data.config_dict["tag_concurrency_limits"]
        }
        assert limits["quota_pipeline/publish"] == 1
        result = smoke.execute_in_process(instance=instance)
        assert result.success

    # a second instance (a new process would do the same) finds the run and its events
    with DagsterInstance.get() as again:
        run = again.get_run_by_id(result.run_id)
        assert run is not None and run.is_success
        assert again.all_logs(result.run_id)
