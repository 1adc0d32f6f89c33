"""risk.seller_outlook and risk.territory_outlook: where a plan will land, before the quarter.

The feasibility check of quota_risk stops at "does the quota exceed what the accounts
carry". Planners then argue about something else: how likely a seller is to make the
number, whether it hangs on one account, whether a seller is stretched more than the
peers beside them, whether a whole region is over-assigned, and whose accounts left
while the quota stayed. docs/contract.md section 3c fixes those formulas; they are here,
in plain Polars over the seller and territory frames (sellers x periods, never the
accounts: the per-account aggregates come from marts.seller_target_rollup), so they run
and are tested without Dagster or a database.

Money stays exact as in capacity.py: fair_quota is adjusted capacity times the peer
median ratio, and that median is a ratio of two cent amounts (or the mean of two), so it
is rounded to quota_rounding with integer arithmetic, halves up, never through a float.
"""

from __future__ import annotations

import math

import polars as pl

from quota_pipeline.planning.exact import (
    CENTS_PER_UNIT,
    MONEY,
    cents,
    decimal_places,
    divide_half_up,
    money_from_cents,
    to_units,
)
from quota_pipeline.planning.quota_risk import QUOTA_RISK_SCHEMA, compute_quota_risk
from quota_pipeline.planning.reasons import outlook_actions, outlook_reasons
from quota_pipeline.policy import Policy

SELLER_OUTLOOK_SCHEMA = pl.Schema(
    {
        "period": pl.String,
        "seller_id": pl.String,
        "top1_target": MONEY,
        "coverage_without_top1": pl.Float64,
        "accounts_to_break": pl.Int64,
        "attainment_probability": pl.Float64,
        "peer_median_ratio": pl.Float64,
        "stretch_vs_peers": pl.Float64,
        "fair_quota": MONEY,
        "unfair": pl.Boolean,
        "sat_change": MONEY,
        "relief_candidate": pl.Boolean,
    }
)

TERRITORY_OUTLOOK_SCHEMA = pl.Schema(
    {
        "period": pl.String,
        "territory_id": pl.String,
        "quota_over_assignment": pl.Float64,
        "over_assigned": pl.Boolean,
        "expected_sellers_at_quota": pl.Float64,
        "share_expected_at_quota": pl.Float64,
        "attainment_health": pl.String,
        "expected_coverage": pl.Float64,
        "capacity_gini": pl.Float64,
        "balance_cv": pl.Float64,
    }
)

# Columns of seller_outlook_detail beyond the contract's: what the reasons quote.
DETAIL_COLUMNS = pl.Schema(
    {"top1_account_id": pl.String, "previous_sat": MONEY, "previous_quota": MONEY}
)
# The columns of marts.seller_target_rollup the outlook reads (besides period, seller_id).
ROLLUP_COLUMNS = (
    "role",
    "top1_target",
    "top1_account_id",
    "target_spread_squared",
    "accounts_to_break",
)
# The columns of the last published risk.quota_risk that sat_change and relief compare.
PREVIOUS_COLUMNS = ("period", "seller_id", "quota", "sum_account_targets")

BELOW, HEALTHY, ABOVE = "below", "healthy", "above"
_KEY = ["period", "seller_id"]
_PEER_GROUP = ["period", "role", "peer_parent", "peer_root"]
_QUOTA = pl.col("quota")
_SAT = pl.col("sum_account_targets")
_RATIO = pl.col("quota_to_capacity_ratio")
_SQRT2 = math.sqrt(2.0)
# Products of three cent amounts stay inside a signed 128-bit integer below this bound.
_INT128_SAFE_CENTS = 2**40


def normal_cdf(z: float) -> float:
    """Phi(z), the standard normal CDF; erfc keeps the lower tail's precision."""
    return 0.5 * math.erfc(-z / _SQRT2)


# ---------------------------------------------------------------- sellers


def compute_risk_and_outlook(
    seller_rollup: pl.DataFrame,
    territory_rollup: pl.DataFrame,
    previous: pl.DataFrame | None,
    policy: Policy,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(risk.quota_risk, risk.seller_outlook) in one pass: the outlook is computed once and
    its fired rules are appended to quota_risk's reasons and recommended_actions.

    territory_rollup gives each territory's parent (peer groups); previous is the last
    published risk.quota_risk (PREVIOUS_COLUMNS), None on a first run.
    """
    quota_risk = compute_quota_risk(seller_rollup, policy)
    detail = seller_outlook_detail(quota_risk, seller_rollup, territory_rollup, previous, policy)
    return (
        with_outlook_reasons(quota_risk, detail, policy),
        detail.select(SELLER_OUTLOOK_SCHEMA.names()),
    )


def with_outlook_reasons(
    quota_risk: pl.DataFrame, detail: pl.DataFrame, policy: Policy
) -> pl.DataFrame:
    """quota_risk with the outlook's sentences after its own; actions without repeats."""
    outlook_columns = [name for name in detail.columns if name not in QUOTA_RISK_SCHEMA]
    return (
        quota_risk.join(
            detail.select(*_KEY, *outlook_columns),
            on=_KEY,
            how="left",
            validate="1:1",
            maintain_order="left",
        )
        .with_columns(
            reasons=pl.concat_list("reasons", outlook_reasons(policy)),
            recommended_actions=pl.concat_list(
                "recommended_actions", outlook_actions(policy)
            ).list.unique(maintain_order=True),
        )
        .select(QUOTA_RISK_SCHEMA.names())
    )


def seller_outlook_detail(
    quota_risk: pl.DataFrame,
    seller_rollup: pl.DataFrame,
    territories: pl.DataFrame,
    previous: pl.DataFrame | None,
    policy: Policy,
) -> pl.DataFrame:
    """SELLER_OUTLOOK_SCHEMA and DETAIL_COLUMNS, one row per row of quota_risk, same order.

    quota_risk: compute_quota_risk's output. seller_rollup: marts.seller_target_rollup
    (ROLLUP_COLUMNS). territories: territory_id, parent_territory_id (a root's is null).
    previous: the last published risk.quota_risk (PREVIOUS_COLUMNS), None on a first run.
    """
    frame = _with_rollup(quota_risk, seller_rollup, territories)
    frame = frame.with_columns(
        [*_fragility_columns(), _attainment_probability().alias("attainment_probability")]
    )
    frame = _with_peers(frame, policy)
    frame = _with_change(frame, previous, policy)
    columns = {**SELLER_OUTLOOK_SCHEMA, **DETAIL_COLUMNS}
    return frame.select(pl.col(name).cast(dtype) for name, dtype in columns.items())


def compute_seller_outlook(
    quota_risk: pl.DataFrame,
    seller_rollup: pl.DataFrame,
    territories: pl.DataFrame,
    previous: pl.DataFrame | None,
    policy: Policy,
) -> pl.DataFrame:
    """risk.seller_outlook: exactly the contract's columns (see seller_outlook_detail)."""
    detail = seller_outlook_detail(quota_risk, seller_rollup, territories, previous, policy)
    return detail.select(SELLER_OUTLOOK_SCHEMA.names())


def _with_rollup(
    quota_risk: pl.DataFrame, seller_rollup: pl.DataFrame, territories: pl.DataFrame
) -> pl.DataFrame:
    """quota_risk with the rollup's account aggregates and the seller's peer-group keys."""
    parents = territories.select("territory_id", "parent_territory_id").unique("territory_id")
    return (
        quota_risk.join(
            seller_rollup.select(*_KEY, *ROLLUP_COLUMNS),
            on=_KEY,
            how="left",
            validate="1:1",
            maintain_order="left",
        )
        .join(parents, on="territory_id", how="left", maintain_order="left")
        .with_columns(
            # Sellers homed at a root form a group of that root alone (docs/contract.md 3c).
            peer_parent=pl.col("parent_territory_id"),
            peer_root=pl.when(pl.col("parent_territory_id").is_null()).then(pl.col("territory_id")),
        )
    )


def _fragility_columns() -> list[pl.Expr]:
    """top1_target, coverage_without_top1 and accounts_to_break; null ratios at quota 0."""
    top1 = pl.col("top1_target").fill_null(0).cast(MONEY)
    quota_positive = _QUOTA > 0
    return [
        top1.alias("top1_target"),
        pl.when(quota_positive)
        .then((_SAT - top1).cast(pl.Float64) / _QUOTA.cast(pl.Float64))
        .alias("coverage_without_top1"),
        pl.when(quota_positive)
        .then(pl.col("accounts_to_break").fill_null(0))
        .alias("accounts_to_break"),
    ]


def _attainment_probability() -> pl.Expr:
    """P = Phi((E - quota) / SD), E = SAT x f, SD = f x sqrt(sum (sd_tier x T_i)^2).

    SD = 0: 1 when E reaches the quota, else 0. A quota of 0 is always reached.
    """
    f = pl.col("ramp_factor") * pl.col("seniority_multiplier") * pl.col("focus_multiplier")
    quota = _QUOTA.cast(pl.Float64)
    expected = _SAT.cast(pl.Float64) * f
    spread = f * pl.col("target_spread_squared").fill_null(0).sqrt()
    z = (expected - quota) / spread
    return (
        pl.when(_QUOTA == 0)
        .then(1.0)
        .when(spread == 0)
        .then(pl.when(expected >= quota).then(1.0).otherwise(0.0))
        .otherwise(z.map_batches(_phi, return_dtype=pl.Float64))
    )


def _phi(z: pl.Series) -> pl.Series:
    values = [None if value is None or math.isnan(value) else normal_cdf(value) for value in z]
    return pl.Series(z.name, values, dtype=pl.Float64)


def _with_peers(frame: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Peer median ratio, stretch, fair quota and unfair; null outside a large enough group."""
    medians = _peer_medians(frame, policy.outlook.min_peer_group)
    joined = frame.join(
        medians, on=_PEER_GROUP, how="left", nulls_equal=True, maintain_order="left"
    )
    has_peers = _RATIO.is_not_null() & pl.col("peer_median_ratio").is_not_null()
    stretch = _RATIO / pl.col("peer_median_ratio") - 1
    joined = joined.with_columns(
        peer_median_ratio=pl.when(has_peers).then(pl.col("peer_median_ratio")),
        stretch_vs_peers=pl.when(has_peers).then(stretch),
        unfair=pl.when(has_peers).then(stretch.abs() > policy.outlook.max_stretch_deviation),
    )
    fair_cents = _fair_quota_cents(joined, policy.quota_rounding)
    return joined.with_columns(
        fair_quota=pl.when(has_peers).then(money_from_cents(pl.lit(fair_cents)))
    )


def _peer_medians(frame: pl.DataFrame, min_peer_group: int) -> pl.DataFrame:
    """Per peer group with at least min_peer_group members and a median above 0: the
    median ratio and the quota and capacity (cents) of its middle member(s)."""
    order = [_RATIO, pl.col("seller_id")]
    low, high = (pl.len() - 1) // 2, pl.len() // 2

    def middle(expr: pl.Expr, index: pl.Expr) -> pl.Expr:
        return expr.sort_by(order).get(index)

    quota_cents, capacity_cents = cents(_QUOTA), cents(pl.col("adjusted_capacity"))
    return (
        frame.filter(_RATIO.is_not_null())
        .group_by(_PEER_GROUP)
        .agg(
            members=pl.len(),
            ratio_low=middle(_RATIO, low),
            ratio_high=middle(_RATIO, high),
            quota_low=middle(quota_cents, low),
            capacity_low=middle(capacity_cents, low),
            quota_high=middle(quota_cents, high),
            capacity_high=middle(capacity_cents, high),
        )
        .with_columns(peer_median_ratio=(pl.col("ratio_low") + pl.col("ratio_high")) / 2)
        .filter((pl.col("members") >= min_peer_group) & (pl.col("peer_median_ratio") > 0))
        .drop("members", "ratio_low", "ratio_high")
    )


def _fair_quota_cents(frame: pl.DataFrame, quota_rounding: int) -> pl.Series:
    """adjusted_capacity x peer median, to the nearest multiple of quota_rounding, halves up.

    The median is (q_lo / c_lo + q_hi / c_hi) / 2 (the same member twice for an odd
    count), so the fair quota is capacity x (q_lo c_hi + q_hi c_lo) / (2 c_lo c_hi): one
    integer division. Int128 holds it below 2**40 cents per amount; beyond, Python ints.
    """
    step = quota_rounding * CENTS_PER_UNIT
    parts = frame.select(
        capacity=cents(pl.col("adjusted_capacity")),
        quota_low=pl.col("quota_low"),
        capacity_low=pl.col("capacity_low"),
        quota_high=pl.col("quota_high"),
        capacity_high=pl.col("capacity_high"),
    )
    largest = parts.select(pl.max_horizontal(pl.all().max())).item()
    if largest is None or largest < _INT128_SAFE_CENTS:
        numerator = pl.col("capacity") * (
            pl.col("quota_low") * pl.col("capacity_high")
            + pl.col("quota_high") * pl.col("capacity_low")
        )
        denominator = 2 * pl.col("capacity_low") * pl.col("capacity_high") * step
        rounded = divide_half_up(numerator, denominator) * step
        return parts.select(rounded.alias("fair_quota_cents")).to_series()
    values = [_fair_cents_exact(row, step) for row in parts.iter_rows()]
    return pl.Series("fair_quota_cents", values, dtype=pl.Int128)


def _fair_cents_exact(row: tuple[int | None, ...], step: int) -> int | None:
    capacity, quota_low, capacity_low, quota_high, capacity_high = row
    if None in row or not capacity_low or not capacity_high:
        return None
    numerator = capacity * (quota_low * capacity_high + quota_high * capacity_low)
    denominator = 2 * capacity_low * capacity_high * step
    return (numerator * 2 + denominator) // (denominator * 2) * step


def _with_change(
    frame: pl.DataFrame, previous: pl.DataFrame | None, policy: Policy
) -> pl.DataFrame:
    """sat_change and relief_candidate against the last published run's row, if any."""
    if previous is None:
        previous = pl.DataFrame(
            schema={name: pl.String for name in _KEY}
            | {"quota": MONEY, "sum_account_targets": MONEY}
        )
    prior = previous.select(
        *_KEY,
        previous_quota=pl.col("quota").cast(MONEY),
        previous_sat=pl.col("sum_account_targets").cast(MONEY),
    )
    joined = frame.join(prior, on=_KEY, how="left", validate="1:1", maintain_order="left")
    places = decimal_places([policy.outlook.relief_min_drop])
    drop_cents = cents(pl.col("previous_sat")) - cents(_SAT)
    # -sat_change > relief_min_drop x quota, in integers: drop x 10^places > units x quota
    dropped = drop_cents * 10**places > to_units(policy.outlook.relief_min_drop, places) * cents(
        _QUOTA
    )
    found = pl.col("previous_sat").is_not_null()
    return joined.with_columns(
        sat_change=pl.when(found).then((_SAT - pl.col("previous_sat")).cast(MONEY)),
        relief_candidate=pl.when(found).then((pl.col("previous_quota") == _QUOTA) & dropped),
    )


# ---------------------------------------------------------------- territories


def compute_territory_outlook(
    territory_rollup: pl.DataFrame,
    quota_risk: pl.DataFrame,
    seller_outlook: pl.DataFrame,
    territory_closure: pl.DataFrame,
    policy: Policy,
) -> pl.DataFrame:
    """risk.territory_outlook: one row per row of risk.strategic_gaps, in its order.

    Those rows are territory_rollup's with a top-down target (as compute_strategic_gaps
    keeps them), so this needs no strategic_gaps frame and runs beside the sellers' outlook.
    Over the sellers homed in the territory's subtree with a quota in the period (the rows
    of quota_risk); balance over its child territories in territory_rollup.
    """
    outlook = policy.outlook
    frame = (
        territory_rollup.filter(pl.col("topdown_target").is_not_null())
        .select("period", "territory_id", "topdown_target", "quota_sum")
        .join(
            _subtree_sellers(quota_risk, seller_outlook, territory_closure),
            on=["period", "territory_id"],
            how="left",
            maintain_order="left",
        )
        .join(
            _child_balance(territory_rollup),
            on=["period", "territory_id"],
            how="left",
            maintain_order="left",
        )
    )
    target = pl.col("topdown_target")
    share = pl.col("share_expected_at_quota")
    design = outlook.attainment_design
    return frame.with_columns(
        quota_over_assignment=_ratio_to_target(pl.col("quota_sum")),
        over_assigned=_exceeds(pl.col("quota_sum"), target, outlook.max_over_assignment),
        expected_sellers_at_quota=pl.col("expected_sellers_at_quota").fill_null(0.0),
        attainment_health=pl.when(share < design.min)
        .then(pl.lit(BELOW))
        .when(share > design.max)
        .then(pl.lit(ABOVE))
        .when(share.is_not_null())
        .then(pl.lit(HEALTHY)),
        # an empty sum is 0: no seller, no capacity
        expected_coverage=_ratio_to_target(pl.col("capacity_sum").fill_null(0)),
    ).select(pl.col(name).cast(dtype) for name, dtype in TERRITORY_OUTLOOK_SCHEMA.items())


def _subtree_sellers(
    quota_risk: pl.DataFrame, seller_outlook: pl.DataFrame, territory_closure: pl.DataFrame
) -> pl.DataFrame:
    """Per territory (whole subtree) and period: expected sellers at quota, their share,
    the sum of adjusted capacity and the Gini coefficient of quota_to_capacity_ratio."""
    sellers = quota_risk.select(
        *_KEY, "territory_id", "adjusted_capacity", "quota_to_capacity_ratio"
    ).join(
        seller_outlook.select(*_KEY, "attainment_probability"), on=_KEY, how="left", validate="1:1"
    )
    subtree = (
        sellers.join(
            territory_closure.select("ancestor_territory_id", "territory_id"), on="territory_id"
        )
        .drop("territory_id")
        .rename({"ancestor_territory_id": "territory_id"})
    )
    group = ["period", "territory_id"]
    ratio = _RATIO
    # sum_i sum_j |x_i - x_j| = 2 sum_k (2k - n - 1) x_(k), x ascending (nulls left out;
    # equal values may take either rank, their terms sum the same)
    rank = ratio.rank("ordinal").over(group)
    weighted = ratio * (2 * rank.cast(pl.Float64) - ratio.count().over(group) - 1)
    return (
        subtree.group_by(group)
        .agg(
            sellers=pl.len(),
            expected_sellers_at_quota=pl.col("attainment_probability").sum(),
            capacity_sum=pl.col("adjusted_capacity").sum(),
            ratios=ratio.count(),
            ratio_sum=ratio.sum(),
            ratio_spread=weighted.sum(),
        )
        .with_columns(
            share_expected_at_quota=pl.col("expected_sellers_at_quota") / pl.col("sellers"),
            capacity_gini=pl.when((pl.col("ratios") >= 2) & (pl.col("ratio_sum") > 0)).then(
                pl.col("ratio_spread") / (pl.col("ratios") * pl.col("ratio_sum"))
            ),
        )
    )


def _child_balance(territory_rollup: pl.DataFrame) -> pl.DataFrame:
    """balance_cv per territory and period: population SD / mean of bottom_up_targets per
    seller over its child territories with at least one non-terminated seller."""
    per_seller = pl.col("bottom_up_targets").cast(pl.Float64) / pl.col("seller_count")
    return (
        territory_rollup.filter(
            pl.col("parent_territory_id").is_not_null() & (pl.col("seller_count") > 0)
        )
        .select("period", territory_id="parent_territory_id", per_seller=per_seller)
        .group_by("period", "territory_id")
        .agg(
            children=pl.len(),
            mean=pl.col("per_seller").mean(),
            deviation=pl.col("per_seller").std(ddof=0),
        )
        .select(
            "period",
            "territory_id",
            balance_cv=pl.when((pl.col("children") >= 2) & (pl.col("mean") > 0)).then(
                pl.col("deviation") / pl.col("mean")
            ),
        )
    )


def _ratio_to_target(amount: pl.Expr) -> pl.Expr:
    target = pl.col("topdown_target")
    return pl.when(target > 0).then(amount.cast(pl.Float64) / target.cast(pl.Float64))


def _exceeds(amount: pl.Expr, target: pl.Expr, bound: float) -> pl.Expr:
    """amount / target > bound, exactly (cents against the bound as integer units)."""
    places = decimal_places([bound])
    return pl.when(target > 0).then(
        cents(amount) * 10**places > to_units(bound, places) * cents(target)
    )
