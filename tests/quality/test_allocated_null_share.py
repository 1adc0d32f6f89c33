"""With allocation.targets_basis allocated, a null bottom-up target is expected input
(docs/contract.md section 3b): the policy's limit on the share of null targets leaves the
account_targets GX raw suite and applies to final_target (a dbt test, in
tests/transform/test_allocation.py). Under bottom_up the raw suite keeps it."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from quota_pipeline.ingest.loader import load_all
from quota_pipeline.ingest.specs import SPECS
from quota_pipeline.policy import Policy
from quota_pipeline.quality.suites import load_suite, raw_frame_sql, suite_parameters
from quota_pipeline.quality.validation import SuiteOptions, validate_query


def allocated(policy: Policy) -> Policy:
    return policy.model_copy(
        update={"allocation": policy.allocation.model_copy(update={"targets_basis": "allocated"})}
    )


def test_null_share_parameter_follows_the_basis(policy):
    assert policy.allocation.targets_basis == "bottom_up"
    limit = policy.quality.max_null_target_share
    assert suite_parameters(policy)["min_planned_target_share"] == pytest.approx(1 - limit)
    assert suite_parameters(allocated(policy))["min_planned_target_share"] == 0.0
    # the drift suites on the marts keep the limit: they read final_target under allocated
    assert suite_parameters(allocated(policy))["max_null_target_share"] == limit


def test_mostly_null_bottom_up_targets_pass_the_raw_suite_only_when_allocated(
    extracts: Path, policy: Policy, tmp_path: Path
):
    path = extracts / "account_targets.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["target_amount"] = ""  # nobody has planned anything yet
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    con = duckdb.connect()
    load_all(con, extracts, policy, datetime(2026, 12, 3))
    outcomes = {
        basis: validate_query(
            tmp_path / basis,
            load_suite("raw.account_targets"),
            con,
            raw_frame_sql(SPECS["account_targets"]),
            SuiteOptions(parameters=suite_parameters(chosen)),
        )
        for basis, chosen in (("bottom_up", policy), ("allocated", allocated(policy)))
    }
    assert not outcomes["bottom_up"].success
    assert {f.column for f in outcomes["bottom_up"].failed} == {"target_amount"}
    assert outcomes["allocated"].success
