from pathlib import Path

import pytest
import yaml
from support import POLICY_FILE

from quota_pipeline.errors import PolicyError
from quota_pipeline.policy import load_policy


def _write(tmp_path: Path, change: dict) -> Path:
    document = yaml.safe_load(POLICY_FILE.read_text())
    document.update(change)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_repository_policy_has_contract_defaults(policy):
    assert policy.corporate_currency == "USD"
    assert (policy.risk_bands.low, policy.risk_bands.medium, policy.risk_bands.high) == (
        1.0,
        1.1,
        1.25,
    )
    assert policy.ramp_curve == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert policy.seniority_multiplier["principal"] == 1.2
    assert policy.focus_multiplier["none"] == 1.0
    assert policy.abc_tiers.a == 0.8 and policy.abc_tiers.b == 0.95
    assert (policy.quota_to_ote.min, policy.quota_to_ote.max) == (4.0, 8.0)
    assert policy.max_quarantine_share == 0.01 and policy.quota_rounding == 1000


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"max_top1_share": 1.5}, "max_top1_share: Input should be less than or equal to 1"),
        (
            {"risk_bands": {"low": 1.2, "medium": 1.1, "high": 1.25}},
            "risk_bands: Value error, bounds must ascend",
        ),
        ({"surprise": 1}, "surprise: unknown policy key"),
        ({"seniority_multiplier": {"junior": 1}}, "seniority_multiplier: Value error, missing mid"),
        ({"corporate_currency": "usd"}, "corporate_currency: String should match pattern"),
    ],
)
def test_invalid_policy_names_the_key(tmp_path, change, expected):
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, change))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_key_is_named(tmp_path):
    document = yaml.safe_load(POLICY_FILE.read_text())
    del document["quota_rounding"]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(PolicyError, match="quota_rounding: required policy key is missing"):
        load_policy(path)


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("corporate_currency: USD\nrisk_bands: {low: 1\n")
    with pytest.raises(PolicyError, match=r"policy.yaml:\d+:\d+"):
        load_policy(path)


def test_missing_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- allocation (section 3b)


def _allocation(**change) -> dict:
    document = yaml.safe_load(POLICY_FILE.read_text())
    return {"allocation": {**document["allocation"], **change}}


def test_repository_policy_has_the_allocation_defaults(policy):
    allocation = policy.allocation
    assert (allocation.targets_basis, allocation.method) == ("bottom_up", "even")
    assert (allocation.weight_column, allocation.bucket_column) == ("annual_revenue", "segment")
    assert allocation.bucket_weights == {"enterprise": 0.6, "mid_market": 0.3, "smb": 0.1}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"targets_basis": "final"}, "allocation.targets_basis: Input should be 'bottom_up'"),
        ({"method": "random"}, "allocation.method: Input should be 'even'"),
        ({"weight_column": "segment"}, "allocation.weight_column: Value error, 'segment' is not"),
        ({"bucket_column": "annual_revenue"}, "allocation.bucket_column: Value error"),
        ({"bucket_weights": {"smb": -0.1}}, "allocation.bucket_weights.smb: Input should be"),
        ({"spread": "even"}, "allocation.spread: unknown policy key"),
    ],
)
def test_invalid_allocation_names_the_key(tmp_path, change, expected):
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, _allocation(**change)))
    assert expected in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_allocation_key_is_named(tmp_path):
    document = yaml.safe_load(POLICY_FILE.read_text())
    del document["allocation"]["method"]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(PolicyError, match=r"allocation\.method: required policy key is missing"):
        load_policy(path)


def test_allocation_reaches_dbt_with_exact_integer_bucket_weights(policy, tmp_path):
    assert {
        key: policy.dbt_vars()[key]
        for key in ("targets_basis", "allocation_method", "weight_column", "bucket_column")
    } == {
        "targets_basis": "bottom_up",
        "allocation_method": "even",
        "weight_column": "annual_revenue",
        "bucket_column": "segment",
    }
    assert policy.dbt_vars()["bucket_weights"] == {"enterprise": 6, "mid_market": 3, "smb": 1}
    assert policy.dbt_vars()["max_null_target_share"] == policy.quality.max_null_target_share
    # 0.1 + 0.2 is not 0.3 in binary floats: scaled as written, the weights stay exact
    weights = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0, "e": 2.5, "f": 0.125}
    changed = load_policy(_write(tmp_path, _allocation(bucket_weights=weights)))
    assert changed.allocation.integer_bucket_weights() == {
        "a": 100, "b": 200, "c": 300, "d": 0, "e": 2500, "f": 125,
    }  # fmt: skip
