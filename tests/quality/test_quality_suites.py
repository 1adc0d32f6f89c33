"""The JSON suites under expectations/ are the ones the specs and policy imply."""

import json

from quota_pipeline.ingest.specs import EXTRACT_NAMES
from quota_pipeline.quality.suites import (
    DRIFT_PROFILES,
    SUITES_DIR,
    all_suite_documents,
    suite_parameters,
)


def test_json_suites_match_the_specs():
    documents = json.loads(json.dumps(all_suite_documents()))
    on_disk = {path.stem: json.loads(path.read_text()) for path in SUITES_DIR.glob("*.json")}
    assert on_disk == documents, "regenerate with: python -m quota_pipeline.quality.suites"


def test_one_suite_per_extract_mart_and_risk_table():
    names = set(all_suite_documents())
    assert {f"raw.{name}" for name in EXTRACT_NAMES} <= names
    assert {
        "marts.account_target_distribution",
        "marts.seller_target_rollup",
        "marts.territory_rollup",
        "risk.quota_risk",
        "risk.strategic_gaps",
    } == {profile.table for profile in DRIFT_PROFILES}


def test_thresholds_come_from_the_policy(policy):
    parameters = suite_parameters(policy)
    assert parameters["min_accepted_share"] == 1 - policy.max_quarantine_share
    assert parameters["row_count_ratio_max"] == 1 + policy.quality.row_count_band
    assert parameters["target_total_ratio_min"] == 1 - policy.quality.target_total_band
    assert parameters["max_null_target_share"] == policy.quality.max_null_target_share
    text = json.dumps(all_suite_documents())
    for value in ("0.25", "0.2", "0.99", "0.01"):
        assert f": {value}" not in text  # no threshold restated in a suite


def test_raw_suites_cover_keys_references_money_and_periods():
    documents = all_suite_documents()
    kinds = {
        (e["type"], json.dumps(e["kwargs"].get("column")))
        for e in documents["raw.account_targets"]["expectations"]
    }
    keys = [
        e["meta"].get("unique_key")
        for e in documents["raw.account_targets"]["expectations"]
        if "unique_key" in e["meta"]
    ]
    assert keys == [["account_id", "period"]]
    assert ("expect_column_values_to_be_between", '"target_amount"') in kinds
    assert ("expect_column_values_to_be_in_set", '"account_id__resolved"') in kinds
    periods = [e["type"] for e in documents["raw.fiscal_periods"]["expectations"]]
    assert "expect_column_pair_values_a_to_be_greater_than_b" in periods
    rates = documents["raw.fx_rates"]["expectations"]
    assert any(e["kwargs"].get("strict_min") for e in rates)
