"""The whole pipeline, headless, as `quota-pipeline run` does it: real Dagster, dbt, DuckDB.

Runs the CLI in a subprocess on generated extracts and checks the published warehouse
against docs/contract.md section 4, the exit codes 0/1/2, the run log, and that a failed run
leaves the published file byte-for-byte unchanged while a reader keeps working.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from support import cli

from quota_pipeline.generate.synthetic import generate_extracts
from quota_pipeline.ingest.specs import EXTRACT_NAMES
from quota_pipeline.transform.dbt_standby import HANDED_OVER

pytestmark = pytest.mark.slow

CONTRACT_TABLES = {
    "dq.quarantine": "extract source_line record_key reason loaded_at",
    "marts.account_target_distribution": "period account_id seller_id territory_id target_amount_corp "
    "share_of_seller rank_in_seller cumulative_share abc_tier is_high_value",
    "marts.seller_target_rollup": "period seller_id territory_id account_count accounts_missing_target "
    "sum_account_targets top1_share top3_share accounts_for_80pct hhi high_value_account_count "
    "high_value_targets",
    "marts.territory_rollup": "period territory_id parent_territory_id depth account_count seller_count "
    "bottom_up_targets quota_sum topdown_target unassigned_targets",
    "risk.quota_risk": "period seller_id territory_id quota sum_account_targets gap quota_to_targets_ratio "
    "ramp_factor seniority_multiplier focus_multiplier adjusted_capacity quota_to_capacity_ratio "
    "quota_to_ote top1_share high_value_account_count risk_level reasons recommended_actions "
    "recommended_quota",
    "risk.strategic_gaps": "period territory_id topdown_target bottom_up_targets quota_sum strategic_gap "
    "unassigned_targets headcount_needed levers",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated") / "extracts"
    generate_extracts(folder, accounts=3_000, seed=11)
    return folder


@pytest.fixture
def env(run_env) -> dict[str, str]:
    return {**os.environ}


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The CLI with this process's environment (run_env points its paths into tmp_path)."""
    return cli(os.environ, *arguments)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def columns_by_table(warehouse: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found: dict[str, set[str]] = {}
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall():
            found.setdefault(f"{schema}.{table}", set()).add(column)
    return found


def test_run_publishes_every_contract_table_then_failed_run_changes_nothing(
    generated, run_env, tmp_path
):
    warehouse = run_env["warehouse"]
    first = run_cli("run", "--extracts", str(generated), "--warehouse", str(warehouse))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "published" in first.stdout

    found = columns_by_table(warehouse)
    for table, wanted in CONTRACT_TABLES.items():
        assert table in found, table
        assert set(wanted.split()) <= found[table], (table, set(wanted.split()) - found[table])
    for name in EXTRACT_NAMES:
        assert {"_source_file", "_source_line", "_loaded_at"} <= found[f"raw.{name}"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in CONTRACT_TABLES:
            if table != "dq.quarantine":
                assert con.execute(f"select count(*) from {table}").fetchall()[0][0] > 0, table
        levels = {
            r[0] for r in con.execute("select distinct risk_level from risk.quota_risk").fetchall()
        }
        assert levels <= {"low", "medium", "high", "critical"} and "critical" in levels
        sellers, periods = con.execute(
            "select count(*) filter (where not _is_quarantined), "
            "(select count(*) from raw.fiscal_periods) from raw.sellers"
        ).fetchall()[0]
        rollup = con.execute("select count(*) from marts.seller_target_rollup").fetchall()[0][0]
        assert rollup == sellers * periods
    with duckdb.connect(str(run_env["ops_db"]), read_only=True) as ops:
        status, rows_in = ops.execute("select status, rows_in from run_log").fetchall()[0]
        assert status == "success" and rows_in > 3_000
    # The night's dbt target keeps its partial parse for the next night and serialises no
    # manifest.json or run_results.json; the docs site still got a manifest of its own.
    dbt_target = warehouse.parent / ".build" / "dbt_target"
    assert (dbt_target / "partial_parse.msgpack").exists()
    assert not {"manifest.json", "run_results.json"} & {p.name for p in dbt_target.iterdir()}
    assert (warehouse.parent / "docs" / "manifest.json").exists()
    # The night's dbt build ran in the standby the run started (transform/dbt_standby.py).
    (run_log,) = (warehouse.parent / "logs").glob("run-*.log")
    assert HANDED_OVER in run_log.read_text("utf-8")

    # Nothing changed: the next run says so in seconds, publishes nothing, logs it.
    published = digest(warehouse)
    unchanged = run_cli("run", "--extracts", str(generated), "--warehouse", str(warehouse))
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert "nothing to recompute" in unchanged.stdout
    assert digest(warehouse) == published
    with duckdb.connect(str(run_env["ops_db"]), read_only=True) as ops:
        statuses = [r[0] for r in ops.execute("select status from run_log").fetchall()]
    assert sorted(statuses) == ["success", "unchanged"]

    # A reader holds the published file while the next run fails on bad data.
    reader = duckdb.connect(str(warehouse), read_only=True)
    before = digest(warehouse)
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in generated.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    targets = broken / "account_targets.csv"
    rows = list(csv.reader(targets.open(encoding="utf-8")))
    with targets.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in rows[1 : len(rows) // 20]:
            writer.writerow([row[0], row[1], "-5", row[3]])
    second = run_cli("run", "--extracts", str(broken), "--warehouse", str(warehouse))
    assert second.returncode == 1, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    assert digest(warehouse) == before
    assert reader.execute("select count(*) from risk.quota_risk").fetchall()[0][0] > 0
    reader.close()
    with duckdb.connect(str(run_env["ops_db"]), read_only=True) as ops:
        failed = ops.execute(
            "select checks_failed, rows_quarantined from run_log where status = 'failed'"
        ).fetchall()
    assert len(failed) == 1 and failed[0][0] >= 1 and failed[0][1] > 0

    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(run_env["dagster_home"])) as instance:
        assert len(instance.get_run_records()) == 2


def test_missing_column_exits_2_with_one_line(generated, run_env, tmp_path):
    broken = tmp_path / "missing_column"
    broken.mkdir()
    for path in generated.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    quotas = broken / "quotas.csv"
    quotas.write_text(
        quotas.read_text(encoding="utf-8").replace("quota_amount", "amount", 1), encoding="utf-8"
    )
    result = run_cli("run", "--extracts", str(broken))
    assert result.returncode == 2
    # one reason line; beside it the refused run's alert, as every alert shows on stderr
    lines = result.stderr.strip().splitlines()
    reasons = [line for line in lines if line.startswith("quota-pipeline: ")]
    assert len(reasons) == 1 and "quotas.csv:1: missing required column quota_amount" in reasons[0]
    assert [line for line in lines if line not in reasons] == [
        line
        for line in lines
        if line.startswith("ALERT [quota_pipeline ERROR] nightly run refused")
    ]
    assert not run_env["warehouse"].exists()


def test_bad_usage_exits_2(run_env):
    assert run_cli("run", "--extracts", "/nonexistent/folder").returncode == 2
    assert run_cli("frobnicate").returncode == 2
