"""Every run on record, however it starts, with one alert per root cause.

- a refused run (an extract lost a required column) posts exactly one webhook message,
  with file names relative to the extracts folder, and leaves an open alert;
- a later publish resolves the alerts earlier runs left open;
- a published run with quarantined rows gets one warning alert naming the rows and the
  seller-periods they removed;
- runs launched through Dagster's own Python API (no CLI, no daemon) are in run_log:
  a published one records itself, a refused one is recorded by the run-status sensor
  (running by default, watching every job) and alerted once.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    build_run_status_sensor_context,
    build_sensor_context,
)
from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.automation.alerts import ERROR, Alert, Channels, Delivery, raise_alert
from quota_pipeline.automation.run_alerts import published_with_warnings_alert, read_quarantine
from quota_pipeline.cli import main
from quota_pipeline.publish.opsdb import RunRecord, record_run
from quota_pipeline.settings import Settings


def drop_column(path: Path, column: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines[0].split(",").index(column)
    kept = [",".join(v for i, v in enumerate(line.split(",")) if i != index) for line in lines]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


@pytest.fixture
def env(tmp_path, monkeypatch) -> Settings:
    extracts = tmp_path / "extracts"
    shutil.copytree(SMALL_FIXTURE, extracts)
    settings = Settings(
        extracts_dir=extracts,
        warehouse=tmp_path / "out" / "warehouse.duckdb",
        ops_db=tmp_path / "out" / "ops.duckdb",
        policy_file=POLICY_FILE,
    )
    settings.export()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return settings


def alerts_of(ops_db: Path) -> list[tuple]:
    with duckdb.connect(str(ops_db), read_only=True) as con:
        return con.execute(
            "select run_id, severity, source, message, state from alerts order by raised_at"
        ).fetchall()


def test_refused_run_posts_exactly_one_webhook_message(env, alert_env, webhook, capsys):
    drop_column(env.extracts_dir / "quotas.csv", "quota_amount")
    assert main(["run"]) == 2
    assert "missing required column quota_amount" in capsys.readouterr().err
    (post,) = webhook.posts
    assert "nightly run refused, nothing published: quotas.csv:1: missing" in post["text"]
    assert str(env.extracts_dir) not in post["text"]
    assert str(env.warehouse.parent) not in post["text"]
    ((run_id, severity, source, _message, state),) = alerts_of(env.ops_db)
    assert (severity, source, state) == ("error", "run", "open")
    with duckdb.connect(str(env.ops_db), read_only=True) as con:
        status = con.execute("select status from run_log where run_id = ?", [run_id]).fetchall()
    assert status == [("refused",)]


def test_a_later_publish_resolves_open_alerts(tmp_path):
    ops_db = tmp_path / "ops.duckdb"
    old = Alert(run_id="night-1", severity=ERROR, source="run", summary="nightly run failed")
    assert raise_alert(old, ops_db, Channels(), Delivery(attempts=1))
    now = datetime.now() + timedelta(seconds=1)
    record_run(ops_db, RunRecord("night-2", now, now, "failed"))
    assert [row[4] for row in alerts_of(ops_db)] == ["open"]  # a failure resolves nothing
    record_run(ops_db, RunRecord("night-3", now, now, "success"))
    with duckdb.connect(str(ops_db), read_only=True) as con:
        row = con.execute("select state, resolved_by, resolved_at from alerts").fetchall()[0]
    assert row[0] == "resolved" and row[1] == "night-3" and row[2] == now


def test_quarantine_within_tolerance_is_one_warning_naming_rows_and_seller_periods(tmp_path, env):
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute(
            "create schema dq; create table dq.quarantine as select * from (values "
            "('quotas', 'quotas.csv', 2, 'S1|FY2027-Q1', 'quota_amount -5 is negative'), "
            "('accounts', 'accounts.csv', 12, 'A9', 'segment xx is not allowed')) "
            "as t(extract, source_file, source_line, record_key, reason)"
        )
    quarantine = read_quarantine(published, sample_size=5)
    alert = published_with_warnings_alert("run-7", [], quarantine, env, sample_size=5)
    assert alert is not None and alert.severity == "warning" and alert.rows == 2
    assert alert.summary.startswith("nightly run published with warnings: 2 rows quarantined")
    assert "quarantined quotas.csv:2: quota_amount -5 is negative" in alert.examples
    assert "seller-periods removed from risk.quota_risk: S1 FY2027-Q1" in alert.examples
    assert (
        published_with_warnings_alert("run-8", [], read_quarantine(tmp_path / "x", 5), env, 5)
        is None
    )


def test_run_sensors_run_by_default_and_watch_every_job():
    from quota_pipeline.definitions import defs

    for name in ("run_log_on_success", "run_log_on_failure", "alert_on_run_failure"):
        sensor = defs.resolve_sensor_def(name)
        assert sensor.default_status == DefaultSensorStatus.RUNNING, name
        assert not sensor._monitored_jobs, name  # every job of the code location


@pytest.mark.slow
def test_runs_launched_through_dagsters_api_are_on_record(env, alert_env, webhook):
    from quota_pipeline.automation.sensors import (
        alert_on_check_failures,
        run_log_on_failure,
    )
    from quota_pipeline.definitions import defs

    job = defs.resolve_job_def("nightly_recompute")
    with DagsterInstance.ephemeral() as instance:
        published = job.execute_in_process(instance=instance, raise_on_error=False)
        assert published.success
        # the publish step wrote the row itself: no CLI, no sensor
        with duckdb.connect(str(env.ops_db), read_only=True) as con:
            rows = con.execute("select run_id, status, rows_in from run_log").fetchall()
        assert rows and rows[0][:2] == (published.run_id, "success") and rows[0][2] > 0

        drop_column(env.extracts_dir / "quotas.csv", "quota_amount")
        refused = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not refused.success
        (failure,) = instance.get_records_for_run(
            refused.run_id, of_type=DagsterEventType.RUN_FAILURE
        ).records
        context = build_run_status_sensor_context(
            sensor_name="run_log_on_failure",
            dagster_event=failure.event_log_entry.dagster_event,
            dagster_instance=instance,
            dagster_run=refused.dagster_run,
        )
        run_log_on_failure(context)
        with duckdb.connect(str(env.ops_db), read_only=True) as con:
            status = con.execute(
                "select status from run_log where run_id = ?", [refused.run_id]
            ).fetchall()
        assert status == [("refused",)]
        webhook.posts.clear()
        alert_on_check_failures(build_sensor_context(instance=instance))
        refused_posts = [p for p in webhook.posts if p["run_id"] == refused.run_id]
        assert len(refused_posts) == 1
        assert "nightly run refused, nothing published" in refused_posts[0]["text"]
        assert "quotas.csv" in refused_posts[0]["text"]
        assert str(env.extracts_dir) not in refused_posts[0]["text"]
