"""A handful of the bad-input matrix through the real `quota-pipeline run`.

What only the CLI can show: the exit code, the one line on stderr with no traceback, and a
published warehouse that is byte-for-byte the previous one after a refused or failed run.
File-level cases stop at the preflight (seconds); the exit-1 and exit-0 cases run Dagster.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance
from reliability_helpers import (
    Workspace,
    copy_baseline,
    file_digest,
    read_rows,
    run_cli,
    set_field,
    write_rows,
)
from support import CLI

pytestmark = pytest.mark.slow
WEBHOOK_TOKEN = "whsec-0b6e2f1c9d8a7e6f"
SMTP_PASSWORD = "smtp-pw-4d3c2b1a0f9e"


def _drop_quota_amount(extracts: Path) -> None:
    path = extracts / "quotas.csv"
    write_rows(path, [row[:2] + row[3:] for row in read_rows(path)])


def _corrupt_parquet(extracts: Path) -> None:
    (extracts / "quotas.csv").unlink()
    (extracts / "quotas.parquet").write_bytes(b"PAR1 not parquet PAR1")


def _both_formats(extracts: Path) -> None:
    shutil.copy(extracts / "quotas.csv", extracts / "quotas.parquet")


def _empty(extracts: Path) -> None:
    (extracts / "accounts.csv").write_bytes(b"")


def _symlink_escape(extracts: Path) -> None:
    outside = extracts.parent / "outside.csv"
    shutil.move(extracts / "quotas.csv", outside)
    (extracts / "quotas.csv").symlink_to(outside)


REFUSED = {
    "missing_column": (_drop_quota_amount, "quotas.csv:1: missing required column quota_amount"),
    "unreadable_corrupt_parquet": (_corrupt_parquet, "quotas.parquet: unreadable ("),
    "both_csv_and_parquet": (_both_formats, "both quotas.csv and quotas.parquet exist"),
    "empty_file": (_empty, "accounts.csv:1: file is empty (no header row)"),
    "symlink_escape": (_symlink_escape, "points outside the extracts folder"),
}


def assert_one_line(stderr: str, expected: str) -> str:
    """The reason is the last stderr line, alone of its kind, and no traceback anywhere."""
    assert "Traceback" not in stderr, stderr
    reasons = [line for line in stderr.splitlines() if line.startswith("quota-pipeline: ")]
    assert len(reasons) == 1, stderr
    assert expected in reasons[0], reasons[0]
    return reasons[0]


@pytest.mark.parametrize(("mutate", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_unusable_input_exits_2_and_leaves_warehouse(
    mutate, expected: str, baseline: Workspace, tmp_path: Path
) -> None:
    workspace = copy_baseline(baseline, tmp_path / "ws")
    mutate(workspace.extracts)
    before = file_digest(workspace.warehouse)
    result = run_cli(workspace)
    assert result.returncode == 2, result.stdout + result.stderr
    reason = assert_one_line(result.stderr, expected)
    # beside the reason, only the refused run's alert to planning ops (one line)
    others = [line for line in result.stderr.strip().splitlines() if line != reason]
    assert len(others) == 1 and others[0].startswith("ALERT "), result.stderr
    assert "nightly run refused" in others[0], result.stderr
    assert file_digest(workspace.warehouse) == before
    assert not any(workspace.build_dir.glob("warehouse.duckdb*"))
    with duckdb.connect(str(workspace.ops_db), read_only=True) as ops:
        assert ops.execute("select status from run_log").fetchall() == [("refused",)]


def test_quarantine_above_share_exits_1_naming_file_line_column_rule(
    baseline: Workspace, tmp_path: Path
) -> None:
    """Also security: alert channels configured with secrets (nothing listens on port 9),
    and neither the terminal, the run log, the ops database nor Dagster's storage shows them."""
    workspace = copy_baseline(baseline, tmp_path / "ws")
    set_field("quotas", 2, "quota_amount", "-5")(workspace.extracts)
    policy = workspace.policy.read_text(encoding="utf-8")
    workspace.policy.write_text(
        re.sub(
            r"(?m)^alerts: .*$",
            "alerts: {attempts: 1, backoff_seconds: 0.1, timeout_seconds: 2}",
            policy,
        ),
        encoding="utf-8",
    )
    secrets = {
        "QUOTA_ALERT_WEBHOOK_URL": f"http://127.0.0.1:9/hooks/{WEBHOOK_TOKEN}",
        "QUOTA_ALERT_SMTP_HOST": "127.0.0.1",
        "QUOTA_ALERT_SMTP_PORT": "9",
        "QUOTA_ALERT_SMTP_USER": "planning-ops",
        "QUOTA_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
        "QUOTA_ALERT_EMAIL_TO": "ops@example.invalid",
    }
    before = file_digest(workspace.warehouse)
    result = run_cli(workspace, extra_env=secrets)
    assert result.returncode == 1, result.stdout + result.stderr
    line = assert_one_line(result.stderr, "quotas.csv:2: quota_amount -5 is negative")
    assert "max_quarantine_share" in line
    assert file_digest(workspace.warehouse) == before
    for secret in (WEBHOOK_TOKEN, SMTP_PASSWORD):
        assert secret not in result.stdout + result.stderr
        for path in workspace.root.rglob("*"):
            if path.is_file() and path.stat().st_size < 50_000_000:
                assert secret.encode() not in path.read_bytes(), path
    with duckdb.connect(str(workspace.ops_db), read_only=True) as ops:
        status, quarantined, checks = ops.execute(
            "select status, rows_quarantined, checks_failed from run_log"
        ).fetchall()[0]
    assert (status, quarantined) == ("failed", 1) and checks >= 1
    # The GX raw suite still validated the over-limit extract and is what blocked.
    with DagsterInstance.from_config(str(workspace.dagster_home)) as instance:
        (run,) = instance.get_run_records()
        evaluations = [
            record.event_log_entry.dagster_event.event_specific_data
            for record in instance.get_records_for_run(
                run.dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
            ).records
        ]
    failed = {(e.check_name, e.blocking) for e in evaluations if not e.passed}
    assert failed == {("quarantine_within_policy", False), ("gx_raw_suite", True)}
    gx = next(e for e in evaluations if e.check_name == "gx_raw_suite" and not e.passed)
    assert gx.asset_key.path == ["raw", "quotas"]
    assert (
        "line 2" in gx.metadata["examples"].value
        and "-5 is negative" in gx.metadata["examples"].value
    )
    assert Path(gx.metadata["data_docs"].value).exists()


def test_odd_input_and_quarantine_within_share_publishes(
    baseline: Workspace, tmp_path: Path
) -> None:
    """BOM, CRLF, quoted newline, non-Latin and `=` text publish; so does a bad row when
    the policy's max_quarantine_share allows it, and the row is in dq.quarantine."""
    workspace = copy_baseline(baseline, tmp_path / "ws")
    policy = workspace.policy.read_text(encoding="utf-8")
    assert "max_quarantine_share: 0.01" in policy
    workspace.policy.write_text(
        policy.replace("max_quarantine_share: 0.01", "max_quarantine_share: 0.5"),
        encoding="utf-8",
    )
    set_field("quotas", 2, "quota_amount", "-5")(workspace.extracts)
    accounts = workspace.extracts / "accounts.csv"
    rows = read_rows(accounts)
    header = rows[0]
    odd = {"account_id": "A90", "account_name": '=HYPERLINK("x")\nΩμέγα 株式会社'}
    odd.update(territory_id="DACH", owner_seller_id="S1", segment="smb", industry="Łódź")
    rows.append([odd.get(column, "") for column in header])
    write_rows(accounts, rows)
    text = accounts.read_text(encoding="utf-8").replace("\n", "\r\n")
    accounts.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    before = file_digest(workspace.warehouse)
    result = run_cli(workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert file_digest(workspace.warehouse) != before
    with duckdb.connect(str(workspace.warehouse), read_only=True) as con:
        assert con.execute("select extract, source_line, reason from dq.quarantine").fetchall() == [
            ("quotas", 2, "quota_amount -5 is negative")
        ]
        name, industry = con.execute(
            "select account_name, industry from raw.accounts where account_id = 'A90'"
        ).fetchall()[0]
        assert name == '=HYPERLINK("x")\r\nΩμέγα 株式会社' and industry == "Łódź"
        assert (
            con.execute(
                "select count(*) from marts.account_target_distribution where account_id = 'A01'"
            ).fetchall()[0][0]
            > 0
        )

    # Security: the same values exported for a spreadsheet are inert (leading quote).
    export = subprocess.run(
        [
            str(CLI),
            "query",
            "select account_name, industry from raw.accounts where account_id = 'A90'",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        env=workspace.env,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    cells = list(csv.reader(io.StringIO(export.stdout)))
    assert cells[1][0].startswith("'=HYPERLINK"), cells
    assert cells[1][1] == "Łódź"
