"""A run's run_log row counts failed checks of severity ERROR apart from warnings (failed WARN
checks): a published run whose only finding is drift has no failed check."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    DagsterInstance,
    MaterializeResult,
    asset,
    materialize,
)

from quota_pipeline.automation.run_log import summarise_run
from quota_pipeline.publish.opsdb import record_run

RAW = AssetKey(["raw", "quotas"])
WARN, ERROR = AssetCheckSeverity.WARN, AssetCheckSeverity.ERROR


def run_with_checks(*results: tuple[str, bool, AssetCheckSeverity]) -> tuple[DagsterInstance, str]:
    """One in-process run of a raw asset (10 rows, 2 quarantined) and these check results."""

    @asset(key=RAW, check_specs=[AssetCheckSpec(name, asset=RAW) for name, _, _ in results])
    def quotas() -> Iterator[MaterializeResult]:
        yield MaterializeResult(
            metadata={"dagster/row_count": 10, "quarantined": 2},
            check_results=[
                AssetCheckResult(check_name=name, passed=passed, severity=severity)
                for name, passed, severity in results
            ],
        )

    instance = DagsterInstance.ephemeral()
    result = materialize([quotas], instance=instance)
    assert result.success
    return instance, result.run_id


def test_warnings_are_counted_apart_from_failed_checks():
    instance, run_id = run_with_checks(
        ("drift_marts", False, WARN),
        ("drift_risk", False, WARN),
        ("quarantine_within_policy", False, ERROR),
        ("gx_raw_suite", True, ERROR),
    )
    record = summarise_run(instance, run_id, "success")
    assert (record.rows_in, record.rows_quarantined) == (10, 2)
    assert (record.checks_failed, record.checks_warned) == (1, 2)


def test_a_run_whose_only_finding_is_a_warning_has_no_failed_check(tmp_path):
    instance, run_id = run_with_checks(("drift_risk", False, WARN), ("gx_raw_suite", True, ERROR))
    record = summarise_run(instance, run_id, "success")
    record_run(tmp_path / "ops.duckdb", record)
    with duckdb.connect(str(tmp_path / "ops.duckdb"), read_only=True) as con:
        row = con.execute("select checks_failed, checks_warned from run_log").fetchall()
    assert row == [(0, 1)]
