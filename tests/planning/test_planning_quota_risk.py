"""compute_quota_risk against hand-computed rows, one contract edge case per test.

Unless a test says otherwise a seller is fully ramped, mid seniority, no focus, with
100,000.00 of account targets (so adjusted capacity is 100,000.00) and a 20,000.00 OTE.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from quota_pipeline.planning import compute_quota_risk
from quota_pipeline.policy import RiskBands

MONEY = pl.Decimal(18, 2)


def _by_seller(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["seller_id"]: row for row in frame.iter_rows(named=True)}


def test_output_columns_and_types_follow_the_contract(policy, seller_rollup) -> None:
    expected = {
        "period": pl.String,
        "seller_id": pl.String,
        "territory_id": pl.String,
        "quota": MONEY,
        "sum_account_targets": MONEY,
        "gap": MONEY,
        "quota_to_targets_ratio": pl.Float64,
        "ramp_factor": pl.Float64,
        "seniority_multiplier": pl.Float64,
        "focus_multiplier": pl.Float64,
        "adjusted_capacity": MONEY,
        "quota_to_capacity_ratio": pl.Float64,
        "quota_to_ote": pl.Float64,
        "top1_share": pl.Float64,
        "high_value_account_count": pl.Int64,
        "risk_level": pl.String,
        "reasons": pl.List(pl.String),
        "recommended_actions": pl.List(pl.String),
        "recommended_quota": MONEY,
        "seller_status": pl.String,
        "accounts_missing_target": pl.Int64,
        "fiscal_year": pl.Int64,
    }
    frame = seller_rollup({})
    assert dict(compute_quota_risk(frame, policy).schema) == expected
    assert dict(compute_quota_risk(frame.clear(), policy).schema) == expected


def test_a_seller_on_plan_has_no_reasons(policy, seller_rollup) -> None:
    row = compute_quota_risk(seller_rollup({}), policy).row(0, named=True)
    assert row["quota"] == Decimal("100000.00")
    assert row["gap"] == Decimal("0.00")
    assert row["quota_to_targets_ratio"] == 1.0
    assert row["ramp_factor"] == 1.0
    assert (row["seniority_multiplier"], row["focus_multiplier"]) == (1.0, 1.0)
    assert row["adjusted_capacity"] == Decimal("100000.00")
    assert row["quota_to_capacity_ratio"] == 1.0
    assert row["quota_to_ote"] == 5.0
    assert row["risk_level"] == "low"
    assert row["reasons"] == []
    assert row["recommended_actions"] == []
    assert row["recommended_quota"] == Decimal("100000.00")


def test_rows_without_a_quota_are_left_out(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {"seller_id": "with"}, {"seller_id": "without", "quota_amount_corp": None}
    )
    assert compute_quota_risk(frame, policy)["seller_id"].to_list() == ["with"]


def test_zero_targets_with_a_quota_is_critical(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {
            "sum_account_targets": Decimal("0.00"),
            "top1_share": None,
            "high_value_account_count": 0,
            "quota_amount_corp": Decimal("50000.00"),
            "ote_amount_corp": Decimal("10000.00"),
        }
    )
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["quota_to_targets_ratio"] is None
    assert row["adjusted_capacity"] == Decimal("0.00")
    assert row["quota_to_capacity_ratio"] is None
    assert row["gap"] == Decimal("50000.00")
    assert row["risk_level"] == "critical"
    assert row["recommended_quota"] == Decimal("0.00")
    # told first that there is nothing to sell; the lever is accounts, not a quota of 0
    assert row["reasons"] == [
        "owns no account with a target above 0 in FY2027-Q1: nothing to sell against a quota"
        " of 50,000 USD (critical whenever capacity is 0)",
        "0 high-value accounts (needs 3)",
    ]
    assert row["recommended_actions"] == ["add accounts", "marketing support"]


def test_a_zero_quota_is_low_risk(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {"seller_id": "no targets", "sum_account_targets": Decimal("0.00"), "top1_share": None},
        {"seller_id": "targets"},
    ).with_columns(quota_amount_corp=pl.lit(Decimal("0.00"), MONEY))
    rows = _by_seller(compute_quota_risk(frame, policy))
    assert rows["no targets"]["risk_level"] == "low"
    assert rows["no targets"]["quota_to_targets_ratio"] is None
    assert rows["no targets"]["quota_to_capacity_ratio"] is None
    assert rows["targets"]["risk_level"] == "low"
    assert rows["targets"]["quota_to_capacity_ratio"] == 0.0


def test_accounts_without_a_target_are_reported(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {"seller_id": "three", "accounts_missing_target": 3},
        {"seller_id": "one", "accounts_missing_target": 1},
    )
    rows = _by_seller(compute_quota_risk(frame, policy))
    assert rows["three"]["reasons"] == ["3 owned accounts have no target for FY2027-Q1"]
    assert rows["one"]["reasons"] == ["1 owned account has no target for FY2027-Q1"]
    assert rows["three"]["risk_level"] == "low"
    assert rows["three"]["recommended_actions"] == []
    assert rows["three"]["accounts_missing_target"] == 3


def test_hired_after_a_one_month_period_starts_has_no_capacity(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {
            "period": "FY2027-M03",
            "hire_date": date(2027, 3, 10),
            "period_start_date": date(2027, 3, 1),
            "period_end_date": date(2027, 3, 31),
        }
    )
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["ramp_factor"] == 0.0
    assert row["adjusted_capacity"] == Decimal("0.00")
    assert row["risk_level"] == "critical"
    assert row["reasons"] == [
        "quota of 100,000 USD against no adjusted capacity (critical whenever capacity is 0)",
        "ramping: 0% productive in FY2027-M03",
    ]


def test_hired_after_a_quarter_starts_averages_its_first_three_months(
    policy, seller_rollup
) -> None:
    # m = 0 (hired after the start), n = 3: mean(0, 0.25, 0.50) = 0.25, as the contract says.
    frame = seller_rollup({"hire_date": date(2027, 2, 10)})
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["ramp_factor"] == 0.25
    assert row["adjusted_capacity"] == Decimal("25000.00")


def test_a_month_in_seat_completes_on_the_same_day(policy, seller_rollup) -> None:
    hired = date(2027, 1, 15)
    frame = seller_rollup(
        {
            "seller_id": "day before",
            "period": "P-0214",
            "hire_date": hired,
            "period_start_date": date(2027, 2, 14),
            "period_end_date": date(2027, 2, 28),
            "quota_amount_corp": Decimal("0.00"),
        },
        {
            "seller_id": "same day",
            "period": "P-0215",
            "hire_date": hired,
            "period_start_date": date(2027, 2, 15),
            "period_end_date": date(2027, 2, 28),
            "quota_amount_corp": Decimal("25000.00"),
            "ote_amount_corp": Decimal("5000.00"),
        },
    )
    rows = _by_seller(compute_quota_risk(frame, policy))
    assert rows["day before"]["ramp_factor"] == 0.0
    assert rows["same day"]["ramp_factor"] == 0.25
    assert rows["same day"]["adjusted_capacity"] == Decimal("25000.00")
    assert rows["same day"]["reasons"] == ["ramping: 25% productive in P-0215"]
    assert rows["same day"]["recommended_actions"] == []


def test_ramp_is_averaged_over_the_quarter(policy, seller_rollup) -> None:
    # Hired Jan 1, quarter Feb 1 - Apr 30: m = 1, mean(0.25, 0.50, 0.75) = 0.5.
    frame = seller_rollup(
        {
            "hire_date": date(2027, 1, 1),
            "period_start_date": date(2027, 2, 1),
            "period_end_date": date(2027, 4, 30),
            "quota_amount_corp": Decimal("50000.00"),
            "ote_amount_corp": Decimal("10000.00"),
        }
    )
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["ramp_factor"] == 0.5
    assert row["adjusted_capacity"] == Decimal("50000.00")
    assert row["risk_level"] == "low"
    assert row["reasons"] == ["ramping: 50% productive in FY2027-Q1"]
    assert row["recommended_actions"] == []


def test_ramp_holds_the_last_step_beyond_the_curve(policy, seller_rollup) -> None:
    # m = 3: mean(0.75, 1.0, 1.0) = 11/12; 120,000.00 x 11/12 is exactly 110,000.00.
    frame = seller_rollup(
        {
            "seller_id": "m3",
            "hire_date": date(2026, 10, 1),
            "sum_account_targets": Decimal("120000.00"),
        },
        {"seller_id": "m3 odd", "hire_date": date(2026, 10, 1)},
        {"seller_id": "m10", "hire_date": date(2026, 3, 1)},
    )
    rows = _by_seller(compute_quota_risk(frame, policy))
    assert rows["m3"]["ramp_factor"] == pytest.approx(11 / 12)
    assert rows["m3"]["adjusted_capacity"] == Decimal("110000.00")
    assert rows["m3 odd"]["adjusted_capacity"] == Decimal("91666.67")
    assert rows["m3 odd"]["reasons"] == [
        "quota exceeds adjusted capacity by 9% (medium above 0%)",
        "ramping: 92% productive in FY2027-Q1",
    ]
    assert rows["m10"]["ramp_factor"] == 1.0


def test_seniority_and_focus_scale_capacity(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {"seller_id": "principal", "seniority": "principal", "strategic_focus": "strategic"},
        {"seller_id": "junior", "seniority": "junior", "strategic_focus": "new_logo"},
        {"seller_id": "no focus", "seniority": "senior", "strategic_focus": None},
    )
    rows = _by_seller(compute_quota_risk(frame, policy))
    assert (rows["principal"]["seniority_multiplier"], rows["principal"]["focus_multiplier"]) == (
        1.2,
        0.9,
    )
    assert rows["principal"]["adjusted_capacity"] == Decimal("108000.00")
    assert rows["junior"]["adjusted_capacity"] == Decimal("72250.00")
    assert rows["no focus"]["focus_multiplier"] == 1.0
    assert rows["no focus"]["adjusted_capacity"] == Decimal("110000.00")


def test_capacity_rounds_half_cents_up_exactly(policy, seller_rollup) -> None:
    # 10,000.50 x 0.85 = 8,500.425 exactly; in binary floating point it rounds to 8,500.42.
    frame = seller_rollup({"seniority": "junior", "sum_account_targets": Decimal("10000.50")})
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["adjusted_capacity"] == Decimal("8500.43")


def test_quota_to_ote_sums_the_fiscal_year(policy, seller_rollup) -> None:
    year_2027 = {"seller_id": "s1", "fiscal_year": 2027, "ote_amount_corp": Decimal("50000.00")}
    frame = seller_rollup(
        year_2027 | {"period": "FY2027-Q1", "quota_amount_corp": Decimal("100000.00")},
        year_2027 | {"period": "FY2027-Q2", "quota_amount_corp": Decimal("100000.00")},
        year_2027 | {"period": "FY2027-Q3", "quota_amount_corp": None},
        year_2027 | {"period": "FY2027-Q4", "quota_amount_corp": Decimal("200000.00")},
        {
            "seller_id": "s1",
            "period": "FY2028-Q1",
            "fiscal_year": 2028,
            "ote_amount_corp": Decimal("50000.00"),
            "quota_amount_corp": Decimal("100000.00"),
        },
        {"seller_id": "no ote", "ote_amount_corp": Decimal("0.00")},
    )
    result = compute_quota_risk(frame, policy)
    ratios = dict(
        zip(result["period"] + "/" + result["seller_id"], result["quota_to_ote"], strict=True)
    )
    assert ratios == {
        "FY2027-Q1/s1": 8.0,
        "FY2027-Q2/s1": 8.0,
        "FY2027-Q4/s1": 8.0,
        "FY2028-Q1/s1": 2.0,
        "FY2027-Q1/no ote": None,
    }
    fy2028 = result.filter(pl.col("period") == "FY2028-Q1").row(0, named=True)
    assert fy2028["reasons"] == ["quota is 2.0x OTE (range 4-8x)"]


@pytest.mark.parametrize(
    ("quota", "risk_level", "reasons"),
    [
        ("100000.00", "low", []),
        ("100000.01", "medium", ["quota exceeds adjusted capacity by 0% (medium above 0%)"]),
        ("110000.00", "medium", ["quota exceeds adjusted capacity by 10% (medium above 0%)"]),
        ("110000.01", "high", ["quota exceeds adjusted capacity by 10% (high above 10%)"]),
        ("125000.00", "high", ["quota exceeds adjusted capacity by 25% (high above 10%)"]),
        ("125000.01", "critical", ["quota exceeds adjusted capacity by 25% (critical above 25%)"]),
        ("132000.00", "critical", ["quota exceeds adjusted capacity by 32% (critical above 25%)"]),
    ],
)
def test_risk_band_boundaries_belong_to_the_lower_band(
    policy, seller_rollup, quota: str, risk_level: str, reasons: list[str]
) -> None:
    row = compute_quota_risk(seller_rollup({"quota_amount_corp": Decimal(quota)}), policy).row(
        0, named=True
    )
    assert row["risk_level"] == risk_level
    assert row["reasons"] == reasons


@pytest.mark.parametrize(
    ("targets", "recommended"),
    [
        ("12500.00", "13000.00"),
        ("12499.99", "12000.00"),
        ("13500.00", "14000.00"),
        ("499.99", "0.00"),
        ("0.00", "0.00"),
    ],
)
def test_recommended_quota_rounds_capacity_halves_up(
    policy, seller_rollup, targets: str, recommended: str
) -> None:
    frame = seller_rollup({"sum_account_targets": Decimal(targets)})
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["recommended_quota"] == Decimal(recommended)
    assert row["quota"] == Decimal("100000.00")  # never written over the assigned quota


def test_every_rule_worded_with_its_numbers_and_threshold(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {
            "quota_amount_corp": Decimal("132000.00"),
            "ote_amount_corp": Decimal("14500.00"),
            "top1_share": 0.46,
            "high_value_account_count": 2,
            "accounts_missing_target": 3,
        }
    )
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["quota_to_ote"] == pytest.approx(132000 / 14500)
    assert row["reasons"] == [
        "quota exceeds adjusted capacity by 32% (critical above 25%)",
        "top account is 46% of targets (limit 40%)",
        "2 high-value accounts (needs 3)",
        "quota is 9.1x OTE (range 4-8x)",
        "3 owned accounts have no target for FY2027-Q1",
    ]
    assert row["recommended_actions"] == [
        "add accounts",
        "marketing support",
        "lower quota to 100,000 USD",
    ]


def test_book_shape_calls_for_accounts_and_marketing(policy, seller_rollup) -> None:
    frame = seller_rollup(
        {"seller_id": "concentrated", "top1_share": 0.41},
        {"seller_id": "at the limit", "top1_share": 0.40},
        {"seller_id": "one high-value", "high_value_account_count": 1},
    )
    rows = _by_seller(compute_quota_risk(frame, policy))
    assert rows["concentrated"]["reasons"] == ["top account is 41% of targets (limit 40%)"]
    assert rows["concentrated"]["recommended_actions"] == ["add accounts", "marketing support"]
    assert rows["at the limit"]["reasons"] == []
    assert rows["one high-value"]["reasons"] == ["1 high-value account (needs 3)"]
    assert rows["one high-value"]["recommended_actions"] == ["add accounts", "marketing support"]


def test_lower_quota_is_never_a_raise(policy, seller_rollup) -> None:
    # 99,700 is over a 99,600 capacity, but capacity rounds up to a 100,000 recommendation.
    frame = seller_rollup(
        {"sum_account_targets": Decimal("99600.00"), "quota_amount_corp": Decimal("99700.00")}
    )
    row = compute_quota_risk(frame, policy).row(0, named=True)
    assert row["risk_level"] == "medium"
    assert row["recommended_quota"] == Decimal("100000.00")
    assert row["recommended_actions"] == ["add accounts"]


def test_ramping_or_ote_above_range_lowers_quota_inside_the_low_band(policy, seller_rollup) -> None:
    lenient = policy.model_copy(update={"risk_bands": RiskBands(low=1.05, medium=1.10, high=1.25)})
    frame = seller_rollup(
        {
            "seller_id": "ramping",
            "hire_date": date(2026, 11, 1),  # m = 2: mean(0.50, 0.75, 1.0) = 0.75
            "sum_account_targets": Decimal("140000.00"),
            "quota_amount_corp": Decimal("108000.00"),
        },
        {
            "seller_id": "ote",
            "quota_amount_corp": Decimal("104000.00"),
            "ote_amount_corp": Decimal("10000.00"),
        },
    )
    rows = _by_seller(compute_quota_risk(frame, lenient))
    assert rows["ramping"]["adjusted_capacity"] == Decimal("105000.00")
    assert rows["ramping"]["risk_level"] == "low"
    assert rows["ramping"]["reasons"] == ["ramping: 75% productive in FY2027-Q1"]
    assert rows["ramping"]["recommended_actions"] == ["lower quota to 105,000 USD"]
    assert rows["ote"]["risk_level"] == "low"
    assert rows["ote"]["reasons"] == ["quota is 10.4x OTE (range 4-8x)"]
    assert rows["ote"]["recommended_actions"] == ["lower quota to 100,000 USD"]


def test_thresholds_come_from_the_policy(policy, seller_rollup) -> None:
    strict = policy.model_copy(
        update={
            "risk_bands": RiskBands(low=0.90, medium=1.00, high=1.20),
            "max_top1_share": 0.5,
            "quota_rounding": 500,
        }
    )
    frame = seller_rollup(
        {
            "quota_amount_corp": Decimal("95000.00"),
            "top1_share": 0.46,
            "sum_account_targets": Decimal("100250"),
        }
    )
    row = compute_quota_risk(frame, strict).row(0, named=True)
    assert row["risk_level"] == "medium"
    assert row["reasons"] == ["quota is 95% of adjusted capacity (medium above 90%)"]
    assert row["recommended_quota"] == Decimal("100500.00")
