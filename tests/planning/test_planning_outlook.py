"""The outlook (docs/contract.md 3c) against values worked out by hand, one edge per test.

Unless a test says otherwise a seller is fully ramped, mid seniority, no focus (f = 1),
with 100,000.00 of account targets (adjusted capacity 100,000.00), a quota of 100,000.00,
role AE, homed at t1 under the root R; the rollup gives a top account of 20,000.00 and the
squared tier spreads of two A accounts of 60,000 and 40,000 ((0.3 x 60,000)^2 +
(0.3 x 40,000)^2 = 468,000,000). Probabilities are checked against statistics.NormalDist
within 1e-9, money to the cent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import polars as pl
import pytest

from quota_pipeline.planning import compute_quota_risk
from quota_pipeline.planning.outlook import (
    SELLER_OUTLOOK_SCHEMA,
    TERRITORY_OUTLOOK_SCHEMA,
    compute_risk_and_outlook,
    compute_seller_outlook,
    compute_territory_outlook,
    normal_cdf,
    seller_outlook_detail,
)
from quota_pipeline.policy import AttainmentDesign, Policy

MONEY = pl.Decimal(18, 2)
PHI = NormalDist().cdf
TOLERANCE = 1e-9
SPREAD_SQUARED = (0.3 * 60_000) ** 2 + (0.3 * 40_000) ** 2
OUTLOOK_DEFAULTS: dict[str, Any] = {
    "role": "AE",
    "top1_target": Decimal("20000.00"),
    "top1_account_id": "A0000001",
    "target_spread_squared": SPREAD_SQUARED,
    "accounts_to_break": 3,
}
OUTLOOK_ROLLUP_SCHEMA = {
    "role": pl.String,
    "top1_target": MONEY,
    "top1_account_id": pl.String,
    "target_spread_squared": pl.Float64,
    "accounts_to_break": pl.Int64,
}
TERRITORIES = pl.DataFrame(
    {
        "territory_id": ["R", "t1", "t2", "R2"],
        "parent_territory_id": [None, "R", "R", None],
    }
)


def d(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
def rollup(seller_rollup) -> Callable[..., pl.DataFrame]:
    """A seller rollup with the outlook's columns; rows override the defaults."""

    def build(*rows: dict[str, Any]) -> pl.DataFrame:
        base = seller_rollup(
            *({k: v for k, v in row.items() if k not in OUTLOOK_ROLLUP_SCHEMA} for row in rows)
        )
        extra = pl.DataFrame(
            [
                OUTLOOK_DEFAULTS | {k: v for k, v in row.items() if k in OUTLOOK_ROLLUP_SCHEMA}
                for row in rows
            ],
            schema=OUTLOOK_ROLLUP_SCHEMA,
            orient="row",
        )
        return pl.concat([base, extra], how="horizontal")

    return build


def outlook_of(
    frame: pl.DataFrame, policy: Policy, previous: pl.DataFrame | None = None
) -> dict[str, dict[str, Any]]:
    risk = compute_quota_risk(frame, policy)
    detail = seller_outlook_detail(risk, frame, TERRITORIES, previous, policy)
    return {row["seller_id"]: row for row in detail.iter_rows(named=True)}


def only(frame: pl.DataFrame, policy: Policy, previous: pl.DataFrame | None = None) -> dict:
    (row,) = outlook_of(frame, policy, previous).values()
    return row


# ---------------------------------------------------------------- shape


def test_seller_outlook_has_exactly_the_contract_columns(policy, rollup) -> None:
    frame = rollup({})
    risk = compute_quota_risk(frame, policy)
    outlook = compute_seller_outlook(risk, frame, TERRITORIES, None, policy)
    assert outlook.columns == [
        "period",
        "seller_id",
        "top1_target",
        "coverage_without_top1",
        "accounts_to_break",
        "attainment_probability",
        "peer_median_ratio",
        "stretch_vs_peers",
        "fair_quota",
        "unfair",
        "sat_change",
        "relief_candidate",
    ]
    assert outlook.schema == SELLER_OUTLOOK_SCHEMA
    empty = compute_seller_outlook(risk.clear(), frame.clear(), TERRITORIES, None, policy)
    assert empty.schema == SELLER_OUTLOOK_SCHEMA


def test_normal_cdf_known_values() -> None:
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(1.0) == pytest.approx(0.8413447460685429, abs=1e-15)
    assert normal_cdf(-1.0) == pytest.approx(0.15865525393145707, abs=1e-15)
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, abs=1e-15)
    assert normal_cdf(-1.6448536269514722) == pytest.approx(0.05, abs=1e-15)
    assert normal_cdf(-8.0) == pytest.approx(6.22096057427178e-16, rel=1e-9)
    for z in (-3.3, -0.7, 0.25, 2.5):
        assert normal_cdf(z) == pytest.approx(PHI(z), abs=1e-15)


# ---------------------------------------------------------------- fragility


def test_top_account_and_coverage_without_it(policy, rollup) -> None:
    row = only(
        rollup(
            {
                "quota_amount_corp": d("80000.00"),
                "top1_target": d("18000.00"),
                "accounts_to_break": 2,
            }
        ),
        policy,
    )
    assert row["top1_target"] == d("18000.00")
    # (100,000 - 18,000) / 80,000
    assert row["coverage_without_top1"] == pytest.approx(1.025, abs=TOLERANCE)
    assert row["accounts_to_break"] == 2


def test_a_seller_without_accounts_has_a_top_target_of_zero(policy, rollup) -> None:
    row = only(
        rollup(
            {
                "sum_account_targets": d("0.00"),
                "top1_share": None,
                "top1_target": None,
                "top1_account_id": None,
                "target_spread_squared": 0.0,
                "accounts_to_break": 0,
                "quota_amount_corp": d("50000.00"),
            }
        ),
        policy,
    )
    assert row["top1_target"] == d("0.00")
    assert row["coverage_without_top1"] == 0.0
    assert row["accounts_to_break"] == 0
    # capacity 0: SD 0 and E = 0 below the quota
    assert row["attainment_probability"] == 0.0
    assert row["peer_median_ratio"] is None
    assert row["fair_quota"] is None
    assert row["unfair"] is None


def test_a_zero_quota_is_always_reached_and_has_no_coverage(policy, rollup) -> None:
    row = only(rollup({"quota_amount_corp": d("0.00"), "accounts_to_break": None}), policy)
    assert row["attainment_probability"] == 1.0
    assert row["coverage_without_top1"] is None
    assert row["accounts_to_break"] is None


# ---------------------------------------------------------------- attainment probability


def test_probability_is_the_normal_approximation(policy, rollup) -> None:
    row = only(rollup({"quota_amount_corp": d("90000.00")}), policy)
    # E = 100,000, SD = sqrt(468,000,000) = 21,633.30..., z = 10,000 / SD
    assert row["attainment_probability"] == pytest.approx(
        PHI(10_000 / math.sqrt(468_000_000)), abs=TOLERANCE
    )


def test_probability_scales_mean_and_spread_by_the_factors(policy, rollup) -> None:
    row = only(
        rollup(
            {
                "quota_amount_corp": d("80000.00"),
                "seniority": "junior",
                "strategic_focus": "new_logo",
            }
        ),
        policy,
    )
    f = 0.85 * 0.85
    expected, spread = 100_000 * f, f * math.sqrt(SPREAD_SQUARED)
    assert row["attainment_probability"] == pytest.approx(
        PHI((expected - 80_000) / spread), abs=TOLERANCE
    )


def test_quota_equal_to_expectation_is_even_odds(policy, rollup) -> None:
    assert only(rollup({}), policy)["attainment_probability"] == 0.5


@pytest.mark.parametrize(
    ("quota", "probability"),
    [("99999.99", 1.0), ("100000.00", 1.0), ("100000.01", 0.0)],
)
def test_without_spread_the_probability_is_certain(policy, rollup, quota, probability) -> None:
    frame = rollup({"quota_amount_corp": d(quota), "target_spread_squared": 0.0})
    assert only(frame, policy)["attainment_probability"] == probability


def test_a_seller_with_no_productivity_cannot_reach_a_quota(policy, rollup) -> None:
    # a ramp curve of 0 throughout: f = 0, so E = 0 and SD = 0
    unproductive = policy.model_copy(update={"ramp_curve": [0.0]})
    assert only(rollup({}), unproductive)["attainment_probability"] == 0.0
    assert (
        only(rollup({"quota_amount_corp": d("0.00")}), unproductive)["attainment_probability"]
        == 1.0
    )


# ---------------------------------------------------------------- peers


def test_a_peer_group_below_the_minimum_gets_no_fairness_figures(policy, rollup) -> None:
    rows = outlook_of(rollup({"seller_id": "a"}, {"seller_id": "b"}), policy)
    for row in rows.values():
        assert (row["peer_median_ratio"], row["stretch_vs_peers"]) == (None, None)
        assert (row["fair_quota"], row["unfair"]) == (None, None)


def test_odd_peer_group_median_stretch_and_fair_quota(policy, rollup) -> None:
    frame = rollup(
        # ratio 0.8 on a capacity of 12,500: fair 12,500 x 1.0 = 12,500, halves up 13,000
        {
            "seller_id": "low",
            "sum_account_targets": d("12500.00"),
            "quota_amount_corp": d("10000.00"),
        },
        {"seller_id": "mid"},
        {
            "seller_id": "high",
            "sum_account_targets": d("200000.00"),
            "quota_amount_corp": d("300000.00"),
        },
        # another role: a group of its own
        {"seller_id": "other", "role": "SE", "quota_amount_corp": d("500000.00")},
    )
    rows = outlook_of(frame, policy)
    assert [rows[s]["peer_median_ratio"] for s in ("low", "mid", "high")] == [1.0, 1.0, 1.0]
    assert rows["low"]["stretch_vs_peers"] == pytest.approx(-0.2, abs=TOLERANCE)
    assert rows["mid"]["stretch_vs_peers"] == 0.0
    assert rows["high"]["stretch_vs_peers"] == pytest.approx(0.5, abs=TOLERANCE)
    assert rows["low"]["fair_quota"] == d("13000.00")
    assert rows["mid"]["fair_quota"] == d("100000.00")
    assert rows["high"]["fair_quota"] == d("200000.00")
    assert [rows[s]["unfair"] for s in ("low", "mid", "high")] == [True, False, True]
    assert rows["other"]["peer_median_ratio"] is None


def test_even_peer_group_takes_the_mean_of_the_middle_two(policy, rollup) -> None:
    frame = rollup(
        {"seller_id": "a", "quota_amount_corp": d("80000.00")},
        {"seller_id": "b", "quota_amount_corp": d("100000.00")},
        {"seller_id": "c", "quota_amount_corp": d("110000.00")},
        # ratio 1.5 on 10,000 of capacity
        {
            "seller_id": "d",
            "sum_account_targets": d("10000.00"),
            "quota_amount_corp": d("15000.00"),
        },
    )
    rows = outlook_of(frame, policy)
    for row in rows.values():
        assert row["peer_median_ratio"] == pytest.approx(1.05, abs=TOLERANCE)
    assert rows["b"]["stretch_vs_peers"] == pytest.approx(1 / 1.05 - 1, abs=TOLERANCE)
    assert rows["d"]["stretch_vs_peers"] == pytest.approx(1.5 / 1.05 - 1, abs=TOLERANCE)
    assert rows["b"]["fair_quota"] == d("105000.00")
    # 10,000 x 1.05 = 10,500: halves up to 11,000
    assert rows["d"]["fair_quota"] == d("11000.00")
    assert [rows[s]["unfair"] for s in "abcd"] == [True, False, False, True]


def test_fair_quota_is_rounded_exactly_not_through_a_float(policy, rollup) -> None:
    # The median member's fair quota is its own quota: 1,161 x (12,500 / 1,161) = 12,500
    # exactly, 13,000 rounded halves up. In floats it is 12,499.999999999998 (12,000).
    frame = rollup(
        {
            "seller_id": "median",
            "sum_account_targets": d("1161.00"),
            "quota_amount_corp": d("12500.00"),
        },
        {
            "seller_id": "below",
            "sum_account_targets": d("1000.00"),
            "quota_amount_corp": d("5000.00"),
        },
        {
            "seller_id": "above",
            "sum_account_targets": d("1000.00"),
            "quota_amount_corp": d("20000.00"),
        },
    )
    rows = outlook_of(frame, policy)
    assert rows["median"]["fair_quota"] == d("13000.00")
    # 1,000 x 12,500 / 1,161 = 10,766.58: 11,000
    assert rows["below"]["fair_quota"] == d("11000.00")


def test_peer_groups_are_siblings_and_a_root_groups_its_own_sellers(policy, rollup) -> None:
    frame = rollup(
        # t1 and t2 share the parent R: one group of three
        {"seller_id": "t1-a", "territory_id": "t1"},
        {"seller_id": "t1-b", "territory_id": "t1", "quota_amount_corp": d("120000.00")},
        {"seller_id": "t2-a", "territory_id": "t2", "quota_amount_corp": d("80000.00")},
        # homed at R itself: not a peer of R's children; alone, so no figures
        {"seller_id": "root", "territory_id": "R"},
        # three homed at the other root R2: their own group
        {"seller_id": "r2-a", "territory_id": "R2", "quota_amount_corp": d("90000.00")},
        {"seller_id": "r2-b", "territory_id": "R2"},
        {"seller_id": "r2-c", "territory_id": "R2", "quota_amount_corp": d("130000.00")},
    )
    rows = outlook_of(frame, policy)
    assert rows["t1-a"]["peer_median_ratio"] == 1.0
    assert rows["t2-a"]["stretch_vs_peers"] == pytest.approx(-0.2, abs=TOLERANCE)
    assert rows["root"]["peer_median_ratio"] is None
    assert rows["r2-c"]["peer_median_ratio"] == 1.0
    assert rows["r2-c"]["stretch_vs_peers"] == pytest.approx(0.3, abs=TOLERANCE)


def test_a_null_ratio_neither_counts_nor_gets_figures(policy, rollup) -> None:
    frame = rollup(
        {"seller_id": "a"},
        {"seller_id": "b"},
        {"seller_id": "no capacity", "sum_account_targets": d("0.00"), "top1_share": None},
    )
    rows = outlook_of(frame, policy)
    assert all(row["peer_median_ratio"] is None for row in rows.values())


def test_a_peer_median_of_zero_gives_no_figures(policy, rollup) -> None:
    frame = rollup(*({"seller_id": s, "quota_amount_corp": d("0.00")} for s in "abc"))
    assert all(row["stretch_vs_peers"] is None for row in outlook_of(frame, policy).values())


# ---------------------------------------------------------------- change since last run


def previous_run(*rows: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [("FY2027-Q1", seller, d(quota), d(sat)) for seller, quota, sat in rows],
        schema={
            "period": pl.String,
            "seller_id": pl.String,
            "quota": MONEY,
            "sum_account_targets": MONEY,
        },
        orient="row",
    )


def test_no_previous_run_leaves_the_change_null(policy, rollup) -> None:
    row = only(rollup({}), policy, None)
    assert (row["sat_change"], row["relief_candidate"]) == (None, None)


def test_accounts_left_and_the_quota_stayed(policy, rollup) -> None:
    frame = rollup(
        {"seller_id": "moved"},
        {"seller_id": "exactly 5%"},
        {"seller_id": "quota changed"},
        {"seller_id": "grew"},
        {"seller_id": "new"},
    )
    previous = previous_run(
        ("moved", "100000.00", "105000.01"),
        ("exactly 5%", "100000.00", "105000.00"),
        ("quota changed", "90000.00", "150000.00"),
        ("grew", "100000.00", "90000.00"),
        ("gone", "100000.00", "100000.00"),
    )
    rows = outlook_of(frame, policy, previous)
    assert rows["moved"]["sat_change"] == d("-5000.01")
    assert rows["moved"]["relief_candidate"] is True
    assert rows["exactly 5%"]["sat_change"] == d("-5000.00")
    assert rows["exactly 5%"]["relief_candidate"] is False
    assert rows["quota changed"]["sat_change"] == d("-50000.00")
    assert rows["quota changed"]["relief_candidate"] is False
    assert rows["grew"]["sat_change"] == d("10000.00")
    assert rows["grew"]["relief_candidate"] is False
    assert (rows["new"]["sat_change"], rows["new"]["relief_candidate"]) == (None, None)


# ---------------------------------------------------------------- reasons and actions


def test_outlook_rules_become_reasons_and_actions(policy, rollup) -> None:
    frame = rollup(
        # 18,000 top account, quota 90,000: 82,000 / 90,000 = 91% left
        {
            "seller_id": "fragile",
            "quota_amount_corp": d("90000.00"),
            "top1_target": d("18000.00"),
            "top1_account_id": "A0001234",
            "accounts_to_break": 1,
        },
        {"seller_id": "peer", "quota_amount_corp": d("90000.00")},
        {"seller_id": "stretched", "quota_amount_corp": d("120000.00")},
    )
    previous = previous_run(("peer", "90000.00", "110000.00"))
    risk, outlook = compute_risk_and_outlook(frame, TERRITORIES, previous, policy)
    rows = {row["seller_id"]: row for row in risk.iter_rows(named=True)}
    assert rows["fragile"]["reasons"] == [
        "one account away from missing: losing A0001234 leaves 91% of quota covered"
    ]
    assert rows["fragile"]["recommended_actions"] == ["add accounts"]
    # median ratio 0.9: 1.2 / 0.9 - 1 = 33% more; fair 100,000 x 0.9 = 90,000
    assert rows["stretched"]["reasons"] == [
        "quota exceeds adjusted capacity by 20% (high above 10%)",
        "stretched 33% more than peers (peer median quota 90% of capacity, limit 15%);"
        " fair quota 90,000 USD",
    ]
    assert rows["stretched"]["recommended_actions"] == [
        "add accounts",
        "lower quota to 100,000 USD",
        "align quota with peers at 90,000 USD",
    ]
    assert rows["peer"]["reasons"] == [
        "targets fell by 10,000 USD since the last published run (11% of quota, relief above"
        " 5%) while the quota stayed at 90,000 USD"
    ]
    assert rows["peer"]["recommended_actions"] == [
        "quota relief: accounts moved away and the quota did not follow"
    ]
    assert outlook.columns == list(SELLER_OUTLOOK_SCHEMA)


def test_a_seller_on_plan_gets_no_outlook_sentence(policy, rollup) -> None:
    risk, _outlook = compute_risk_and_outlook(rollup({}), TERRITORIES, None, policy)
    assert risk.row(0, named=True)["reasons"] == []
    assert risk.row(0, named=True)["recommended_actions"] == []


# ---------------------------------------------------------------- territories


def territory_frames() -> dict[str, pl.DataFrame]:
    """R -> X, Y, Z; X -> X1. Sellers s1 in X, s2 in X1, s3 in Y (no capacity); top-down
    targets R 300,000, X 0, Y 200,000, Z 1,000."""
    risk = pl.DataFrame(
        [
            ("P", "s1", "X", d("100000.00"), 1.0),
            ("P", "s2", "X1", d("50000.00"), 1.5),
            ("P", "s3", "Y", d("0.00"), None),
        ],
        schema={
            "period": pl.String,
            "seller_id": pl.String,
            "territory_id": pl.String,
            "adjusted_capacity": MONEY,
            "quota_to_capacity_ratio": pl.Float64,
        },
        orient="row",
    )
    outlook = pl.DataFrame(
        {
            "period": ["P"] * 3,
            "seller_id": ["s1", "s2", "s3"],
            "attainment_probability": [0.75, 0.25, 0.5],
        }
    )
    # X1 has no top-down target: no row of its own (as in risk.strategic_gaps)
    rollup = pl.DataFrame(
        [
            ("P", "R", None, d("350000.00"), 3, d("300000.00"), d("360000.00")),
            ("P", "X", "R", d("300000.00"), 2, d("0.00"), d("160000.00")),
            ("P", "Y", "R", d("50000.00"), 1, d("200000.00"), d("230000.00")),
            ("P", "Z", "R", d("99999.00"), 0, d("1000.00"), d("0.00")),
            ("P", "X1", "X", d("10000.00"), 1, None, d("60000.00")),
        ],
        schema={
            "period": pl.String,
            "territory_id": pl.String,
            "parent_territory_id": pl.String,
            "bottom_up_targets": MONEY,
            "seller_count": pl.Int64,
            "topdown_target": MONEY,
            "quota_sum": MONEY,
        },
        orient="row",
    )
    closure = pl.DataFrame(
        [
            ("R", "R"),
            ("R", "X"),
            ("R", "Y"),
            ("R", "Z"),
            ("R", "X1"),
            ("X", "X"),
            ("X", "X1"),
            ("Y", "Y"),
            ("Z", "Z"),
            ("X1", "X1"),
        ],
        schema=["ancestor_territory_id", "territory_id"],
        orient="row",
    )
    return {"risk": risk, "outlook": outlook, "rollup": rollup, "closure": closure}


def territory_outlook(policy: Policy) -> dict[str, dict[str, Any]]:
    f = territory_frames()
    frame = compute_territory_outlook(f["rollup"], f["risk"], f["outlook"], f["closure"], policy)
    assert frame.schema == TERRITORY_OUTLOOK_SCHEMA
    assert frame["territory_id"].to_list() == ["R", "X", "Y", "Z"]
    return {row["territory_id"]: row for row in frame.iter_rows(named=True)}


def test_territory_outlook_over_the_subtree(policy) -> None:
    rows = territory_outlook(policy)
    root = rows["R"]
    assert root["quota_over_assignment"] == pytest.approx(1.2, abs=TOLERANCE)
    assert root["over_assigned"] is True
    assert root["expected_sellers_at_quota"] == 1.5
    assert root["share_expected_at_quota"] == 0.5
    assert root["attainment_health"] == "below"
    # capacity 150,000 / 300,000
    assert root["expected_coverage"] == pytest.approx(0.5, abs=TOLERANCE)
    # ratios 1.0 and 1.5 (s3's is null): 2 x 0.5 / (2 x 2^2 x 1.25)
    assert root["capacity_gini"] == pytest.approx(0.1, abs=TOLERANCE)
    # children with sellers: X 300,000 / 2 = 150,000 and Y 50,000; Z has none.
    # mean 100,000, population SD 50,000
    assert root["balance_cv"] == pytest.approx(0.5, abs=TOLERANCE)


def test_a_zero_target_has_no_ratios(policy) -> None:
    row = territory_outlook(policy)["X"]
    assert (row["quota_over_assignment"], row["over_assigned"]) == (None, None)
    assert row["expected_coverage"] is None
    assert row["expected_sellers_at_quota"] == 1.0
    assert row["share_expected_at_quota"] == 0.5
    assert row["capacity_gini"] == pytest.approx(0.1, abs=TOLERANCE)
    # one child with sellers (X1): no balance
    assert row["balance_cv"] is None


def test_over_assignment_bound_is_strict(policy) -> None:
    # 230,000 / 200,000 = 1.15, the policy's max_over_assignment: not over
    row = territory_outlook(policy)["Y"]
    assert row["quota_over_assignment"] == pytest.approx(1.15, abs=TOLERANCE)
    assert row["over_assigned"] is False
    # one seller: no Gini (and the ratio is null anyway); probability 0.5
    assert row["capacity_gini"] is None
    assert row["share_expected_at_quota"] == 0.5


def test_a_territory_without_sellers(policy) -> None:
    row = territory_outlook(policy)["Z"]
    assert row["expected_sellers_at_quota"] == 0.0
    assert row["share_expected_at_quota"] is None
    assert row["attainment_health"] is None
    assert row["expected_coverage"] == 0.0
    assert row["capacity_gini"] is None
    assert row["balance_cv"] is None


@pytest.mark.parametrize(
    ("low", "high", "health"), [(0.5, 0.75, "healthy"), (0.25, 0.5, "healthy"), (0.1, 0.4, "above")]
)
def test_design_band_bounds_are_healthy(policy, low, high, health) -> None:
    design = AttainmentDesign(min=low, max=high)
    banded = policy.model_copy(
        update={"outlook": policy.outlook.model_copy(update={"attainment_design": design})}
    )
    assert territory_outlook(banded)["R"]["attainment_health"] == health
