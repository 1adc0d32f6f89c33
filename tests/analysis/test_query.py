"""`quota-pipeline query` and `tables` on a small real DuckDB warehouse (no mocks)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from quota_pipeline.analysis.tables import (
    Description,
    descriptions_from_manifest,
    quote_identifier,
    write_descriptions,
)
from quota_pipeline.cli import main
from quota_pipeline.publish.opsdb import RunRecord, record_run

RISK_TABLE_TEXT = "One row per seller x fiscal period with a quota. More text follows."


@pytest.fixture
def warehouse(run_env) -> Path:
    path = run_env["warehouse"]
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema risk; create schema marts")
        con.execute(
            "create table risk.quota_risk as select * from (values "
            "('FY2027-Q1', 'S1', 120000.00::decimal(18,2), 'critical', "
            "['quota exceeds adjusted capacity by 32% (critical above 25%)'], -5), "
            "('FY2027-Q1', '=HYPERLINK(\"x\")', 90000.00::decimal(18,2), 'low', [], 3)) "
            "as t(period, seller_id, quota, risk_level, reasons, gap)"
        )
        con.execute("create view marts.critical as select * from risk.quota_risk")
        write_descriptions(
            con,
            [
                Description("risk", "quota_risk", None, RISK_TABLE_TEXT),
                Description("risk", "quota_risk", "quota", "The assigned quota."),
            ],
        )
    record_run(run_env["ops_db"], RunRecord("run-1", None, None, "success", rows_in=10))
    return path


def test_query_prints_an_aligned_table_with_ops_attached(warehouse, capsys):
    sql = "select r.seller_id, r.quota, o.status from risk.quota_risk r, ops.run_log o order by 1"
    assert main(["query", sql]) == 0
    out = capsys.readouterr().out
    assert "seller_id" in out and "120,000.00" in out and "success" in out
    assert "2 rows" in out


@pytest.mark.parametrize(
    "sql",
    [
        "drop table risk.quota_risk",
        "insert into risk.quota_risk select * from risk.quota_risk",
        "copy risk.quota_risk to 'stolen.csv'",
        "attach 'other.duckdb' as other",
        "update ops.run_log set status = 'x'",
    ],
)
def test_writes_are_refused_in_one_line_with_exit_2(warehouse, capsys, sql):
    before = warehouse.read_bytes()
    assert main(["query", sql]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refused" in err[0] and "read-only" in err[0]
    assert warehouse.read_bytes() == before


def test_bad_sql_and_file_access_are_one_line_errors(warehouse, capsys):
    assert main(["query", "selec 1"]) == 2
    assert main(["query", "select 1; select 2"]) == 2
    assert main(["query", "select * from read_csv('/etc/passwd')"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and "does not parse" in lines[0] and "one SQL statement" in lines[1]


def test_csv_export_neutralises_formulas(warehouse, tmp_path):
    out = tmp_path / "risk.csv"
    sql = "select seller_id, gap, reasons from risk.quota_risk order by gap"
    assert main(["query", sql, "--format", "csv", "--output", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["seller_id", "gap", "reasons"]
    assert rows[1][:2] == ["S1", "-5"]  # a negative number stays a number
    assert rows[2][0] == '\'=HYPERLINK("x")'


def test_json_and_parquet_exports(warehouse, tmp_path):
    as_json = tmp_path / "risk.json"
    as_parquet = tmp_path / "risk.parquet"
    sql = "select * from risk.quota_risk order by seller_id"
    assert main(["query", sql, "--format", "json", "--output", str(as_json)]) == 0
    assert main(["query", sql, "--format", "parquet", "--output", str(as_parquet)]) == 0
    records = json.loads(as_json.read_text(encoding="utf-8"))
    assert records[1]["quota"] == 120000.0 and records[1]["reasons"][0].startswith("quota")
    table = pq.read_table(as_parquet)
    assert table.num_rows == 2 and "reasons" in table.column_names
    assert not list(tmp_path.glob("*.partial"))


def test_missing_warehouse_is_a_usage_error(run_env, capsys):
    assert main(["query", "select 1"]) == 2
    assert "no published warehouse yet" in capsys.readouterr().err


def test_tables_lists_counts_and_descriptions(warehouse, capsys):
    assert main(["tables"]) == 0
    out = capsys.readouterr().out
    assert "risk.quota_risk" in out and "marts.critical" in out
    assert "One row per seller x fiscal period with a quota." in " ".join(out.split())
    assert "More text follows" not in out


def test_descriptions_come_from_models_and_sources_of_a_manifest():
    manifest = {
        "nodes": {
            "model.p.m": {
                "resource_type": "model",
                "schema": "marts",
                "alias": "m",
                "description": "A  mart.",
                "columns": {"c": {"name": "c", "description": "A column."}},
            },
            "test.p.t": {"resource_type": "test", "schema": "x", "name": "t"},
        },
        "sources": {
            "source.p.risk.r": {
                "schema": "risk",
                "identifier": "r",
                "description": "Risk.",
                "columns": {"q": {"name": "q", "description": ""}},
            }
        },
    }
    assert descriptions_from_manifest(manifest) == [
        Description("marts", "m", None, "A mart."),
        Description("marts", "m", "c", "A column."),
        Description("risk", "r", None, "Risk."),
    ]


def test_identifiers_are_validated():
    assert quote_identifier("quota_risk") == '"quota_risk"'
    with pytest.raises(ValueError):
        quote_identifier('x"; drop table y; --')


WIDE_SQL = (
    "select 'FY2027-Q1' as period, 2027 as fiscal_year, 77563 as source_line, "
    "'S000135' as seller_id, 275798.25::decimal(18,2) as quota, 403298.123456::double as avg_sat, "
    "1.123456::double as ratio, 12345 as account_count, "
    "['quota exceeds adjusted capacity by 32% (critical above 25%)', "
    "'top account is 46% of targets (limit 40%)', '2 high-value accounts (needs 3)'] as reasons"
)


def test_query_through_a_pipe_keeps_every_column_whole(warehouse, tmp_path):
    """Off a terminal (here a real pipe to a file) the table takes the width it needs."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QUOTA_WAREHOUSE": str(warehouse), "COLUMNS": "80"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(
        [sys.executable, "-m", "quota_pipeline.cli", "query", WIDE_SQL],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("period", "fiscal_year", "source_line", "quota", "avg_sat", "ratio", "reasons"):
        assert name in out
    assert " 2027 " in out and "2,027" not in out
    assert " 77563 " in out and "77,563" not in out
    assert "275,798.25" in out and "12,345" in out
    assert "403,298.12" in out and "e+05" not in out
    assert "1.123" in out
    assert "2 high-value accounts (needs 3)" in out  # the long list on one line, whole
    header = next(line for line in out.splitlines() if "fiscal_year" in line)
    assert "reasons" in header and len(header) > 80


def test_query_on_a_narrow_terminal_wraps_and_points_to_csv(warehouse, capsys):
    from rich.console import Console

    from quota_pipeline.analysis.query import execute, open_read_only, print_result

    opened = open_read_only(warehouse)
    with opened.connection as con:
        columns = execute(con, WIDE_SQL)
        console = Console(width=80, soft_wrap=False, force_terminal=True, color_system=None)
        print_result(con, columns, 10, console, terminal=True)
    captured = capsys.readouterr()
    assert "--format csv" in captured.err
    # one block per row, long values wrapped inside their cell: every character still there
    text = "".join(captured.out.replace("│", " ").split())
    assert "2high-valueaccounts(needs3)" in text
    assert "403,298.12" in text and "fiscal_year" in text


def test_on_a_terminal_long_text_wraps_inside_its_cell(warehouse, capsys):
    from rich.console import Console

    from quota_pipeline.analysis.query import execute, open_read_only, print_result

    opened = open_read_only(warehouse)
    with opened.connection as con:
        columns = execute(con, WIDE_SQL)
        console = Console(width=160, soft_wrap=False, force_terminal=True, color_system=None)
        print_result(con, columns, 10, console, terminal=True)
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert all(len(line) <= 160 for line in lines)
    header = next(line for line in lines if "fiscal_year" in line)
    assert "reasons" in header  # one table, every column in it
    text = "".join(captured.out.replace("│", " ").split())
    assert "2high-valueaccounts(needs3)" in text
