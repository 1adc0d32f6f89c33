"""Readers during a run, kept runs, rollback, report and docs: on two real published runs."""

from __future__ import annotations

import json
import os

import duckdb
import pytest
from support import cli
from two_published_runs import PublishedRuns, answer

from quota_pipeline.publish.retention import list_history, published_run_id

pytestmark = pytest.mark.slow

CONTRACT_COLUMNS = {
    "marts.account_target_distribution": "period account_id seller_id territory_id "
    "target_amount_corp share_of_seller rank_in_seller cumulative_share abc_tier is_high_value",
    "marts.seller_target_rollup": "period seller_id territory_id account_count "
    "accounts_missing_target sum_account_targets top1_share top3_share accounts_for_80pct hhi "
    "high_value_account_count high_value_targets",
    "marts.territory_rollup": "period territory_id parent_territory_id depth account_count "
    "seller_count bottom_up_targets quota_sum topdown_target unassigned_targets",
    "risk.quota_risk": "period seller_id territory_id quota sum_account_targets gap "
    "quota_to_targets_ratio ramp_factor seniority_multiplier focus_multiplier adjusted_capacity "
    "quota_to_capacity_ratio quota_to_ote top1_share high_value_account_count risk_level reasons "
    "recommended_actions recommended_quota",
    "risk.strategic_gaps": "period territory_id topdown_target bottom_up_targets quota_sum "
    "strategic_gap unassigned_targets headcount_needed levers",
    "risk.seller_outlook": "period seller_id top1_target coverage_without_top1 accounts_to_break "
    "attainment_probability peer_median_ratio stretch_vs_peers fair_quota unfair sat_change "
    "relief_candidate",
    "risk.territory_outlook": "period territory_id quota_over_assignment over_assigned "
    "expected_sellers_at_quota share_expected_at_quota attainment_health expected_coverage "
    "capacity_gini balance_cv",
}


def test_reader_keeps_the_previous_run_with_no_lock_error(published_runs: PublishedRuns):
    lines = published_runs.reader_lines
    assert len(lines) > 3, lines  # it kept querying while run B worked
    assert not [line for line in lines if not line.startswith("ok ")], lines
    assert set(lines) == {published_runs.first_answer}  # never a half-built or newer run
    assert published_runs.second_answer != published_runs.first_answer  # new connections see B


def test_build_files_are_cleaned_and_runs_are_kept_as_links(published_runs: PublishedRuns):
    warehouse = published_runs.warehouse
    build_dir = warehouse.parent / ".build"
    assert not list(build_dir.glob("warehouse.duckdb*"))
    assert not (build_dir / "docs").exists() and not (build_dir / "report.html").exists()
    kept = list_history(warehouse)
    assert [entry.run_id for entry in kept] == [
        published_runs.second_run_id,
        published_runs.first_run_id,
    ]
    assert os.stat(kept[0].path).st_ino == os.stat(warehouse).st_ino  # a link, no copy
    assert published_run_id(warehouse) == published_runs.second_run_id


def test_report_and_docs_are_published_beside_the_warehouse(published_runs: PublishedRuns):
    folder = published_runs.warehouse.parent
    reports = sorted((folder / "reports").glob("report-*.html"))
    assert len(reports) == 2
    latest = (folder / "report.html").read_text(encoding="utf-8")
    assert latest == reports[-1].read_text(encoding="utf-8")
    assert "seller-periods changed risk level" in latest
    assert "<p>0 seller-periods changed" not in latest  # run B moved risk levels
    assert "<script src=" not in latest and "https://cdn" not in latest  # opens offline
    assert (folder / "docs" / "index.html").stat().st_size > 100_000
    # run A generated the site; run B, same project and schema, kept it without dbt
    logs = sorted((folder / "logs").glob("run-*.log"))
    assert "dbt docs generated" in logs[-2].read_text(encoding="utf-8")
    assert "published site kept" in logs[-1].read_text(encoding="utf-8")


def test_every_mart_and_risk_column_is_described(published_runs: PublishedRuns):
    manifest = json.loads(
        (published_runs.warehouse.parent / "docs" / "manifest.json").read_text(encoding="utf-8")
    )
    with duckdb.connect(str(published_runs.warehouse), read_only=True) as con:
        described = set(
            con.execute(
                "select table_schema || '.' || table_name, column_name "
                "from docs.column_descriptions where description <> ''"
            ).fetchall()
        )
    assert manifest["sources"]["source.quota_pipeline.risk.quota_risk"]["columns"]
    for table, columns in CONTRACT_COLUMNS.items():
        for column in columns.split():
            assert (table, column) in described, (table, column)


def test_tables_command_lists_counts_and_descriptions(published_runs: PublishedRuns):
    listed = cli(published_runs.env, "tables")
    assert listed.returncode == 0, listed.stderr
    text = " ".join(listed.stdout.split())
    assert "risk.quota_risk" in text and "marts.account_target_distribution" in text
    assert "One row per seller x fiscal period with a quota" in text


def test_rollback_restores_the_previous_run_and_logs_it(published_runs: PublishedRuns):
    """Last in this file: it changes the published warehouse."""
    env = published_runs.env
    refused = cli(env, "rollback", "--to", "no-such-run")
    assert refused.returncode == 2 and "no kept run matches" in refused.stderr
    rolled = cli(env, "rollback")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert published_runs.first_run_id in rolled.stdout
    assert answer(published_runs.warehouse) == published_runs.first_answer
    assert published_run_id(published_runs.warehouse) == published_runs.first_run_id
    with duckdb.connect(str(published_runs.ops_db), read_only=True) as ops:
        logged = ops.execute(
            "select message, fingerprint from run_log where status = 'rollback'"
        ).fetchall()
    assert len(logged) == 1 and published_runs.first_run_id in logged[0][0]
    assert logged[0][1] is not None  # the restored run's input fingerprint
    # the report and dbt docs published with the restored run came back with it
    folder = published_runs.warehouse.parent
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert published_runs.first_run_id in report
    assert published_runs.second_run_id not in report
    assert f"restored report.html and docs/ of run {published_runs.first_run_id}" in rolled.stdout
    (kept,) = [
        e for e in list_history(published_runs.warehouse) if e.run_id == published_runs.first_run_id
    ]
    assert (folder / "docs" / "index.html").read_bytes() == (kept.docs / "index.html").read_bytes()
    # a night on the restored inputs names the restored run, not the rollback
    again = cli(env, "run", "--extracts", str(published_runs.root / "extracts_a"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to recompute" in again.stdout
    assert f"published run: {published_runs.first_run_id}" in " ".join(again.stdout.split())
    forward = cli(env, "rollback", "--to", published_runs.second_run_id[:8])
    assert forward.returncode == 0, forward.stderr
    assert answer(published_runs.warehouse) == published_runs.second_answer
