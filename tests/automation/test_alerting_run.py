"""A broken extract, one headless run: every trace of it, and one message.

One `quota-pipeline run` (a subprocess, no Dagster daemon) on the small extracts where
the CRM export lost most target amounts (blank, which the loader accepts row by row as
"not planned yet", so only the GX suite's null-share rule catches it): no publish (the previous file stays byte for byte), a failed
blocking GX check with its details in the Dagster instance, a Data Docs page, one row in
ops.alerts (the failed check grouped under the run's alert: one root cause, one message),
and one webhook POST and one e-mail received by the local servers. The alert sensors then
read the same instance: with the alert already raised they send nothing, and with a fresh
operations database they raise it once, across a cursor reset (a restarted sensor).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from alert_receivers import SMTP_PASSWORD, WEBHOOK_TOKEN
from dagster import AssetKey, DagsterEventType, DagsterInstance, build_sensor_context
from support import POLICY_FILE, SMALL_FIXTURE, cli

pytestmark = pytest.mark.slow

GX_CHECK = "gx_raw_suite"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory, webhook_server, smtp_server):
    root = tmp_path_factory.mktemp("alerting_run")
    extracts = root / "extracts"
    shutil.copytree(SMALL_FIXTURE, extracts)
    targets = extracts / "account_targets.csv"
    lines = targets.read_text(encoding="utf-8").splitlines()
    blanked = [lines[0]] + [
        ",".join([*line.split(",")[:2], "", line.split(",")[3]]) if index % 2 else line
        for index, line in enumerate(lines[1:])
    ]
    targets.write_text("\n".join(blanked) + "\n", encoding="utf-8")
    warehouse = root / "out" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:  # stands for last night's published file
        con.execute("create table published_marker as select 42 as answer")
    env = {
        **os.environ,
        "QUOTA_WAREHOUSE": str(warehouse),
        "QUOTA_OPS_DB": str(root / "out" / "ops.duckdb"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "QUOTA_POLICY": str(POLICY_FILE),
        "QUOTA_ALERT_WEBHOOK_URL": webhook_server.url,
        "QUOTA_ALERT_SMTP_HOST": "127.0.0.1",
        "QUOTA_ALERT_SMTP_PORT": str(smtp_server.port),
        "QUOTA_ALERT_SMTP_USER": "ops-bot",
        "QUOTA_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
        "QUOTA_ALERT_EMAIL_TO": "planning-ops@example.test",
    }
    (root / "dagster_home").mkdir()
    before = digest(warehouse)
    webhook_server.posts.clear()
    smtp_server.inbox.messages.clear()
    result = cli(env, "run", "--extracts", str(extracts))
    return {
        "result": result,
        "env": env,
        "before": before,
        "warehouse": warehouse,
        "ops_db": Path(env["QUOTA_OPS_DB"]),
        "posts": list(webhook_server.posts),
        "mails": list(smtp_server.inbox.messages),
    }


def gx_evaluation(instance: DagsterInstance):
    (run,) = instance.get_run_records()
    for record in instance.get_records_for_run(
        run.dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == GX_CHECK and evaluation.asset_key == AssetKey(
            ["raw", "account_targets"]
        ):
            return run, evaluation
    raise AssertionError("no GX check evaluation on raw/account_targets")


def test_nothing_published_and_run_failed(broken_run):
    result = broken_run["result"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert digest(broken_run["warehouse"]) == broken_run["before"]


def test_failed_blocking_check_carries_gx_details_and_docs(broken_run):
    with DagsterInstance.from_config(broken_run["env"]["DAGSTER_HOME"]) as instance:
        run, evaluation = gx_evaluation(instance)
        materialized = {
            tuple(r.asset_materialization.asset_key.path)
            for r in instance.get_records_for_run(
                run.dagster_run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
            ).records
        }
    assert not evaluation.passed and evaluation.blocking
    metadata = {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}
    assert metadata["expectations_failed"] == 1
    assert metadata["unexpected_rows"] >= 7  # every second of 15 rows blanked
    assert "expect_column_values_to_not_be_null on target_amount" in metadata["failures"]
    docs = Path(metadata["data_docs"])
    assert docs.exists() and docs.is_relative_to(broken_run["warehouse"].parent / "quality")
    assert "target_amount" in docs.read_text(encoding="utf-8")
    assert ("publish", "warehouse") not in materialized
    assert not any(key[0] in ("marts", "risk") for key in materialized)


def test_alerts_in_ops_db_webhook_and_email(broken_run):
    with duckdb.connect(str(broken_run["ops_db"]), read_only=True) as ops:
        rows = ops.execute("select source, severity, message, delivered_to from alerts").fetchall()
    ((source, severity, text, delivered),) = rows
    assert (source, severity) == ("run", "error")
    assert "webhook: ok" in delivered and "email: ok" in delivered
    assert f"blocking check {GX_CHECK} failed on raw/account_targets" in text
    assert "Rows affected: " in text and "Data Docs: quality/" in text
    posts, mails = broken_run["posts"], broken_run["mails"]
    assert len(posts) == len(mails) == 1
    assert "expect_column_values_to_not_be_null on target_amount" in posts[0]["text"]
    assert "nightly run failed, nothing published" in mails[0]["Subject"]
    # server paths mean nothing in chat: files beside the warehouse are named relative
    assert str(broken_run["warehouse"].parent) not in posts[0]["text"]
    result = broken_run["result"]
    leaked = result.stdout + result.stderr + str(rows) + str(posts)
    leaked += "".join(m.as_string() for m in mails)
    assert SMTP_PASSWORD not in leaked and WEBHOOK_TOKEN not in leaked


def test_sensors_dedupe_with_the_cli_and_across_restarts(broken_run, tmp_path, monkeypatch):
    from quota_pipeline.automation.sensors import alert_on_check_failures

    for name, value in broken_run["env"].items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.from_config(broken_run["env"]["DAGSTER_HOME"]) as instance:
        # Same ops database as the CLI: the CLI already raised these alerts.
        first = alert_on_check_failures(build_sensor_context(instance=instance))
        assert "0 alerts raised" in first.skip_message
        # A fresh ops database: the run's alert is raised once ...
        monkeypatch.setenv("QUOTA_OPS_DB", str(tmp_path / "ops.duckdb"))
        context = build_sensor_context(instance=instance)
        raised = alert_on_check_failures(context)
        assert "1 alerts raised" in raised.skip_message
        cursor = context.cursor
        assert cursor is not None
        # ... the next tick reads nothing new ...
        again = alert_on_check_failures(build_sensor_context(instance=instance, cursor=cursor))
        assert again.skip_message.startswith("0 finished runs read")
        # ... and a restart that lost its cursor finds it raised already.
        restarted = alert_on_check_failures(build_sensor_context(instance=instance))
        assert "0 alerts raised" in restarted.skip_message
    with duckdb.connect(str(tmp_path / "ops.duckdb"), read_only=True) as ops:
        assert ops.execute("select count(*) from alerts").fetchall()[0][0] == 1
