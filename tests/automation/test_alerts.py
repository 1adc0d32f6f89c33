"""Alerts reach a real local webhook and SMTP server, once, without secrets."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import duckdb
import pytest
from alert_receivers import SMTP_PASSWORD, WEBHOOK_TOKEN

from quota_pipeline.automation.alerts import (
    Alert,
    Channels,
    Delivery,
    alert_text,
    backoff_delays,
    next_cursor,
    raise_alert,
    raise_all,
    redact,
    stale_alert,
    with_retries,
)

FAST = Delivery(attempts=3, backoff_seconds=0.01, timeout_seconds=5)

ALERT = Alert(
    run_id="run-1",
    severity="error",
    source="check raw/account_targets:gx_raw_suite",
    summary="blocking check gx_raw_suite failed on raw/account_targets",
    rows=3,
    examples=("line 17 [A01|FY2027-Q2]: target_amount -5 is negative",),
    where=("Data Docs: /data/quality/index.html",),
)


def alerts_rows(ops_db):
    with duckdb.connect(str(ops_db), read_only=True) as con:
        return con.execute(
            "select alert_id, run_id, severity, source, message, delivered_to from alerts"
        ).fetchall()


def test_alert_text_says_what_how_many_examples_and_where():
    text = alert_text(ALERT)
    assert text.startswith("[quota_pipeline ERROR] blocking check gx_raw_suite failed")
    assert "Rows affected: 3" in text
    assert "line 17 [A01|FY2027-Q2]: target_amount -5 is negative" in text
    assert "Data Docs: /data/quality/index.html" in text
    assert ALERT.alert_id in text


def test_alert_id_is_one_per_run_and_source():
    same = Alert("run-1", "warning", ALERT.source, "other words")
    assert same.alert_id == ALERT.alert_id
    assert Alert("run-2", "error", ALERT.source, "x").alert_id != ALERT.alert_id


def test_redact_and_backoff():
    assert redact("POST https://hooks/T/B/tok failed", ("https://hooks/T/B/tok",)) == (
        "POST *** failed"
    )
    assert backoff_delays(Delivery(attempts=4, backoff_seconds=0.5)) == [0.5, 1.0, 2.0]


def test_retries_until_success_and_reports_failure():
    calls, waits = [], []

    def flaky() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("refused")

    assert with_retries(flaky, FAST, waits.append) == "ok after 3 attempts"
    assert waits == [0.01, 0.02]

    def broken() -> None:
        raise ConnectionError("refused")

    assert with_retries(broken, FAST, waits.append) == "failed after 3 attempts (ConnectionError)"


def test_webhook_email_ops_row_and_log_line(alert_env, webhook, mailbox, tmp_path, caplog):
    ops_db = tmp_path / "ops.duckdb"
    with caplog.at_level(logging.WARNING, logger="quota_pipeline.alerts"):
        assert raise_alert(ALERT, ops_db, Channels.from_env(), FAST)
    (post,) = webhook.posts
    assert "target_amount -5 is negative" in post["text"]
    assert post["alert_id"] == ALERT.alert_id and post["severity"] == "error"
    (mail,) = mailbox.inbox.messages
    assert mail["Subject"].startswith("[quota_pipeline ERROR] blocking check")
    assert "planning-ops@example.test" in mail["To"]
    assert "Rows affected: 3" in mail.get_payload()
    ((alert_id, run_id, severity, _source, message, delivered),) = alerts_rows(ops_db)
    assert (alert_id, run_id, severity) == (ALERT.alert_id, "run-1", "error")
    assert delivered == "log; webhook: ok; email: ok; ops_db"
    assert "ALERT [quota_pipeline ERROR]" in caplog.text
    everything = caplog.text + message + delivered + str(post) + mail.as_string()
    for secret in (SMTP_PASSWORD, WEBHOOK_TOKEN, alert_env["QUOTA_ALERT_WEBHOOK_URL"]):
        assert secret not in everything


def test_same_alert_is_sent_once(alert_env, webhook, mailbox, tmp_path):
    ops_db = tmp_path / "ops.duckdb"
    channels = Channels.from_env()
    assert raise_all([ALERT, ALERT], ops_db, channels, FAST) == [ALERT]
    assert not raise_alert(ALERT, ops_db, channels, FAST)
    assert len(webhook.posts) == 1 and len(mailbox.inbox.messages) == 1
    assert len(alerts_rows(ops_db)) == 1


def test_failing_channels_are_retried_and_recorded_never_raised(
    alert_env, webhook, tmp_path, monkeypatch, caplog
):
    webhook.fail_next.extend([500, 503])
    monkeypatch.setenv("QUOTA_ALERT_SMTP_PORT", "1")  # nothing listens there
    ops_db = tmp_path / "ops.duckdb"
    with caplog.at_level(logging.WARNING):
        assert raise_alert(ALERT, ops_db, Channels.from_env(), FAST)
    assert len(webhook.posts) == 1  # third attempt got through
    (row,) = alerts_rows(ops_db)
    assert row[5] == (
        "log; webhook: ok after 3 attempts; "
        "email: failed after 3 attempts (ConnectionRefusedError); ops_db"
    )
    assert WEBHOOK_TOKEN not in caplog.text + row[5]


def test_webhook_failure_names_status_not_url(alert_env, webhook, tmp_path):
    webhook.fail_next.extend([500, 500, 500])
    ops_db = tmp_path / "ops.duckdb"
    raise_alert(ALERT, ops_db, Channels.from_env(), FAST)
    (row,) = alerts_rows(ops_db)
    assert "webhook: failed after 3 attempts (HTTPError 500)" in row[5]


def test_no_channels_configured_still_logs_and_records(tmp_path, monkeypatch):
    for name in ("QUOTA_ALERT_WEBHOOK_URL", "QUOTA_ALERT_SMTP_HOST", "QUOTA_ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    ops_db = tmp_path / "ops.duckdb"
    assert raise_alert(ALERT, ops_db, Channels.from_env(), FAST)
    assert alerts_rows(ops_db)[0][5] == "log; ops_db"


@pytest.mark.parametrize(("hours_ago", "stale"), [(None, False), (25.0, False), (27.0, True)])
def test_stale_warehouse_threshold(hours_ago, stale):
    now = datetime(2026, 11, 27, 3, 0)
    last = None if hours_ago is None else now - timedelta(hours=hours_ago)
    alert = stale_alert(last, now, 26, ("warehouse: x",))
    assert (alert is not None) == stale
    if alert:
        assert "stale_after_hours 26" in alert.summary
        assert stale_alert(last, now.replace(hour=5), 26, ()).alert_id == alert.alert_id


def test_cursor_only_moves_forward():
    assert next_cursor(None, []) is None
    assert next_cursor(None, [5.5, 3.0]) == "5.5"
    assert next_cursor("7.25", [5.0]) == "7.25"


def test_unchanged_nights_keep_the_warehouse_fresh(tmp_path):
    from quota_pipeline.publish.opsdb import RunRecord, last_fresh, record_run

    ops_db = tmp_path / "ops.duckdb"
    assert last_fresh(ops_db) is None
    published = datetime(2026, 11, 20, 2, 30)
    record_run(ops_db, RunRecord("run-a", published, published, "success"))
    record_run(ops_db, RunRecord("run-b", published, datetime(2026, 11, 25, 2, 1), "unchanged"))
    record_run(ops_db, RunRecord("run-c", published, datetime(2026, 11, 26, 2, 9), "failed"))
    assert last_fresh(ops_db) == datetime(2026, 11, 25, 2, 1)
