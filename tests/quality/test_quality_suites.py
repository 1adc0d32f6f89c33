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
        "risk.seller_outlook",
        "risk.territory_outlook",
    } == {profile.table for profile in DRIFT_PROFILES}


def test_outlook_suites_bound_probabilities_shares_and_ratios():
    documents = all_suite_documents()

    def ranges(table: str) -> dict[str, tuple[object, object]]:
        return {
            e["kwargs"]["column"]: (e["kwargs"].get("min_value"), e["kwargs"].get("max_value"))
            for e in documents[table]["expectations"]
            if "range_of" in e["meta"]
        }

    sellers = ranges("risk.seller_outlook")
    assert sellers["attainment_probability_min"] == (0.0, 1.0)
    assert sellers["attainment_probability_max"] == (0.0, 1.0)
    assert sellers["coverage_without_top1_min"] == (0.0, None)
    assert sellers["peer_median_ratio_min"] == (0.0, None)
    territories = ranges("risk.territory_outlook")
    assert territories["share_expected_at_quota_max"] == (0.0, 1.0)
    assert territories["capacity_gini_max"] == (0.0, 1.0)
    for ratio in ("quota_over_assignment", "expected_coverage", "balance_cv"):
        assert territories[f"{ratio}_min"] == (0.0, None)


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
