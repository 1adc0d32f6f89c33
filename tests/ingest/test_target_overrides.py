"""The optional target_overrides extract (docs/contract.md section 1): absent is no
overrides, empty is allowed, and its rows follow the rules of every other extract, a
blank reason included."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb

from quota_pipeline.automation.preflight import preflight
from quota_pipeline.ingest.files import locate_extract
from quota_pipeline.ingest.loader import load_all
from quota_pipeline.ingest.specs import SPECS
from quota_pipeline.quality.suites import load_suite, not_blank_column, raw_frame_sql
from quota_pipeline.settings import Settings

LOADED_AT = datetime(2026, 12, 3, 2, 0)
HEADER = ["account_id", "period", "target_amount", "currency_iso", "reason", "overridden_by"]
META = ["_source_file", "_source_line", "_loaded_at", "_is_quarantined", "_quarantine_reason"]


def write_overrides(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "target_overrides.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def load(extracts: Path, policy) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_all(con, extracts, policy, LOADED_AT)
    return con


def test_absent_file_loads_an_empty_table_with_the_extract_columns(extracts, policy):
    assert not list(extracts.glob("target_overrides.*"))
    assert locate_extract(extracts, SPECS["target_overrides"]) is None
    con = load(extracts, policy)
    described = con.execute("describe raw.target_overrides").fetchall()
    columns = [row[0] for row in described]
    assert columns[: len(HEADER)] == HEADER
    assert set(META) <= set(columns)
    assert all(row[1] == "VARCHAR" for row in described[: len(HEADER)])
    assert con.execute("select count(*) from raw.target_overrides").fetchone() == (0,)
    assert con.execute(
        "select count(*) from dq.quarantine where extract = 'target_overrides'"
    ).fetchone() == (0,)


def test_absent_file_passes_the_preflight(extracts, policy, monkeypatch):
    monkeypatch.setenv("QUOTA_EXTRACTS_DIR", str(extracts))
    _policy, files = preflight(Settings.from_env())
    assert "target_overrides" not in {file.spec.name for file in files}
    assert len(files) == len(SPECS) - 1


def test_header_only_file_is_allowed(extracts, policy):
    write_overrides(extracts, [])
    con = load(extracts, policy)
    assert con.execute("select count(*) from raw.target_overrides").fetchone() == (0,)


def test_rule_breaks_are_quarantined_a_blank_reason_too(extracts, policy):
    write_overrides(
        extracts,
        [
            ["A01", "FY2027-Q1", "1000", "EUR", "strategic account", "planner.a"],  # line 2
            ["A02", "FY2027-Q1", "500", "USD", "   ", ""],  # 3: blank reason
            ["A03", "FY2027-Q1", "500", "USD", "", ""],  # 4: no reason
            ["A04", "FY2027-Q1", "", "USD", "not planned", ""],  # 5: no amount
            ["A05", "FY2027-Q1", "-1", "USD", "typo", ""],  # 6: negative
            ["NOPE", "FY2027-Q1", "1", "USD", "unknown account", ""],  # 7
            ["A06", "FY2099-Q1", "1", "USD", "unknown period", ""],  # 8
            ["A07", "FY2027-Q1", "1", "XYZ", "no rate", ""],  # 9
            ["A08", "FY2027-Q2", "1", "USD", "first", ""],  # 10: duplicate key
            ["A08", "FY2027-Q2", "2", "USD", "second", ""],  # 11
        ],
    )
    con = load(extracts, policy)
    reasons = dict(
        con.execute(
            "select source_line, reason from dq.quarantine "
            "where extract = 'target_overrides' order by source_line"
        ).fetchall()
    )
    assert reasons[3] == "reason is blank (required)"
    assert reasons[4] == "reason is empty (required)"
    assert reasons[5] == "target_amount is empty (required)"
    assert reasons[6] == "target_amount -1 is negative"
    assert reasons[7] == "account_id NOPE is not a known account"
    assert reasons[8] == "period FY2099-Q1 is not a known period"
    assert reasons[9] == "currency_iso XYZ has no rate in fx_rates"
    assert "duplicate key (account_id, period)" in reasons[10] == reasons[11]
    assert 2 not in reasons
    accepted = con.execute(
        "select account_id, reason, overridden_by from raw.target_overrides "
        "where not _is_quarantined"
    ).fetchall()
    assert accepted == [("A01", "strategic account", "planner.a")]


def test_gx_suite_checks_the_reason_is_not_blank(extracts, policy):
    suite = load_suite("raw.target_overrides")
    rules = {(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]}
    assert ("expect_column_values_to_not_be_null", "reason") in rules
    assert ("expect_column_values_to_not_be_null", "target_amount") in rules
    assert ("expect_column_values_to_be_in_set", not_blank_column("reason")) in rules
    assert not any(
        e["type"] == "expect_table_row_count_to_be_between" for e in suite["expectations"]
    )
    write_overrides(extracts, [["A01", "FY2027-Q1", "1", "USD", "  ", ""]])
    con = load(extracts, policy)
    frame = con.execute(
        f"select reason, {not_blank_column('reason')} from ({raw_frame_sql(SPECS['target_overrides'])})"
    ).fetchall()
    assert frame == [("  ", False)]
