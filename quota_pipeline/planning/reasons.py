"""Why a quota is at risk, and which planning lever helps: all wording in one place.

Planners act on sentences, not ratios. Each reason names the number that fired and the
policy threshold it crossed; each action is one of the planning levers of docs/contract.md
section 3 (add accounts, marketing support, lower quota; the outlook of docs/contract.md 3c
adds aligning a stretch with the peers and quota relief), and each territory lever one of
coverage, headcount and corporate investment (never "raise existing quotas"). The templates
below are the only copy of the wording. The functions turn them into Polars expressions
over the output columns of quota_risk and strategic_gaps, one list per row, in a stable
order, so a whole plan is explained in one vectorised pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from quota_pipeline.planning.formatting import (
    money,
    one_decimal,
    plural,
    render,
    threshold,
    threshold_percent,
    threshold_percent_over,
    whole_percent,
)
from quota_pipeline.planning.risk_bands import band_floors
from quota_pipeline.policy import Policy

# Seller reasons.
CAPACITY_OVER = "quota exceeds adjusted capacity by {excess}% ({band} above {threshold}%)"
CAPACITY_SHARE = "quota is {share}% of adjusted capacity ({band} above {threshold}%)"
NO_CAPACITY = "quota of {quota} against no adjusted capacity (critical whenever capacity is 0)"
NO_TARGETED_ACCOUNTS = (
    "owns no account with a target above 0 in {period}: nothing to sell against a quota of"
    " {quota} (critical whenever capacity is 0)"
)
CONCENTRATION = "top account is {share}% of targets (limit {limit}%)"
HIGH_VALUE_ONE = "{count} high-value account (needs {minimum})"
HIGH_VALUE_MANY = "{count} high-value accounts (needs {minimum})"
RAMPING = "ramping: {productive}% productive in {period}"
QUOTA_TO_OTE = "quota is {multiple}x OTE (range {low}-{high}x)"
MISSING_TARGETS_ONE = "{count} owned account has no target for {period}"
MISSING_TARGETS_MANY = "{count} owned accounts have no target for {period}"

# Seller reasons of the outlook (docs/contract.md 3c), over seller_outlook_detail's columns.
ONE_ACCOUNT_AWAY = (
    "one account away from missing: losing {account} leaves {share}% of quota covered"
)
STRETCH_ABOVE_PEERS = (
    "stretched {stretch}% more than peers (peer median quota {median}% of capacity,"
    " limit {limit}%); fair quota {fair}"
)
STRETCH_BELOW_PEERS = (
    "stretched {stretch}% less than peers (peer median quota {median}% of capacity,"
    " limit {limit}%); fair quota {fair}"
)
RELIEF = (
    "targets fell by {drop} since the last published run ({share}% of quota, relief above"
    " {limit}%) while the quota stayed at {quota}"
)

# Seller actions: the planning levers.
ADD_ACCOUNTS = "add accounts"
MARKETING_SUPPORT = "marketing support"
LOWER_QUOTA = "lower quota to {amount}"
ALIGN_WITH_PEERS = "align quota with peers at {amount}"
QUOTA_RELIEF = "quota relief: accounts moved away and the quota did not follow"

# Territory levers.
COVERAGE = (
    "coverage: {amount} of account targets are counted in the bottom-up number but nobody"
    " sells them (no owner, or a terminated one): assign those accounts to active sellers"
)
HEADCOUNT_ONE = "headcount: {count} more seller at a median of {median}"
HEADCOUNT_MANY = "headcount: {count} more sellers at a median of {median} each"
CORPORATE_INVESTMENT = (
    "corporate investment: {gap} of top-down target with no active seller holding a quota"
    " to size headcount on"
)

FULL_PRODUCTIVITY = 1.0
AT_CAPACITY = 1.0
# Joins the sentences of one row while the list is built; ASCII "unit separator".
_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class SellerRules:
    """The condition behind each reason, shared by the reasons and the actions."""

    capacity_over: pl.Expr
    no_capacity: pl.Expr
    no_targeted_accounts: pl.Expr
    concentrated: pl.Expr
    few_high_value: pl.Expr
    ramping: pl.Expr
    ote_above: pl.Expr
    ote_below: pl.Expr
    missing_targets: pl.Expr

    @classmethod
    def from_policy(cls, policy: Policy) -> SellerRules:
        quota_to_ote = pl.col("quota_to_ote")
        no_capacity = (pl.col("quota") > 0) & (pl.col("adjusted_capacity") == 0)
        # the seller owns nothing to sell (told first; the lever is accounts, not a lower
        # quota); capacity 0 with targets is a seller not yet ramped
        no_targeted_accounts = no_capacity & (pl.col("sum_account_targets") == 0)
        return cls(
            capacity_over=pl.col("quota_to_capacity_ratio") > policy.risk_bands.low,
            no_capacity=no_capacity & ~no_targeted_accounts,
            no_targeted_accounts=no_targeted_accounts,
            concentrated=pl.col("top1_share") > policy.max_top1_share,
            few_high_value=pl.col("high_value_account_count") < policy.min_high_value_accounts,
            ramping=pl.col("ramp_factor") < FULL_PRODUCTIVITY,
            ote_above=quota_to_ote > policy.quota_to_ote.max,
            ote_below=quota_to_ote < policy.quota_to_ote.min,
            missing_targets=pl.col("accounts_missing_target") > 0,
        )


def seller_reasons(policy: Policy) -> pl.Expr:
    """One sentence per rule that fires, with its numbers and its threshold."""
    rules = SellerRules.from_policy(policy)
    period = pl.col("period")
    return _fired(
        (
            rules.no_targeted_accounts,
            render(NO_TARGETED_ACCOUNTS, period=period, quota=_money("quota", policy)),
        ),
        (rules.capacity_over, _capacity_sentence(policy)),
        (rules.no_capacity, render(NO_CAPACITY, quota=_money("quota", policy))),
        (
            rules.concentrated,
            render(
                CONCENTRATION,
                share=whole_percent(pl.col("top1_share")),
                limit=threshold_percent(policy.max_top1_share),
            ),
        ),
        (
            rules.few_high_value,
            plural(
                pl.col("high_value_account_count"),
                HIGH_VALUE_ONE,
                HIGH_VALUE_MANY,
                minimum=str(policy.min_high_value_accounts),
            ),
        ),
        (
            rules.ramping,
            render(RAMPING, productive=whole_percent(pl.col("ramp_factor")), period=period),
        ),
        (rules.ote_above | rules.ote_below, _quota_to_ote_sentence(policy)),
        (
            rules.missing_targets,
            plural(
                pl.col("accounts_missing_target"),
                MISSING_TARGETS_ONE,
                MISSING_TARGETS_MANY,
                period=period,
            ),
        ),
    )


def seller_actions(policy: Policy) -> pl.Expr:
    """The planning levers for the rules that fire, de-duplicated, in a fixed order.

    "lower quota" is offered only when the recommended quota is below the quota: rounding
    capacity to quota_rounding can land above a quota that is barely over capacity. A
    seller who owns no account with a target gets accounts, never "lower quota to 0".
    """
    rules = SellerRules.from_policy(policy)
    quota = pl.col("quota")
    over_capacity = rules.capacity_over | rules.no_capacity
    ramping_over = rules.ramping & (quota > pl.col("adjusted_capacity"))
    lowers = (
        (over_capacity | ramping_over | rules.ote_above)
        & (pl.col("recommended_quota") < quota)
        & ~rules.no_targeted_accounts
    )
    return _fired(
        (
            over_capacity | rules.no_targeted_accounts | rules.concentrated | rules.few_high_value,
            pl.lit(ADD_ACCOUNTS),
        ),
        (rules.few_high_value | rules.concentrated, pl.lit(MARKETING_SUPPORT)),
        (lowers, render(LOWER_QUOTA, amount=_money("recommended_quota", policy))),
    )


def outlook_reasons(policy: Policy) -> pl.Expr:
    """The outlook's rules that fire (fragile, unfair stretch, relief), with their numbers.

    Over quota_risk's columns joined with seller_outlook_detail's (docs/contract.md 3c).
    """
    stretch = pl.col("stretch_vs_peers")
    peers = {
        "stretch": whole_percent(stretch.abs()),
        "median": whole_percent(pl.col("peer_median_ratio")),
        "limit": threshold_percent(policy.outlook.max_stretch_deviation),
        "fair": _money("fair_quota", policy),
    }
    drop = pl.col("previous_sat") - pl.col("sum_account_targets")
    quota = pl.col("quota")
    return _fired(
        (
            pl.col("accounts_to_break") == 1,
            render(
                ONE_ACCOUNT_AWAY,
                account=pl.col("top1_account_id"),
                share=whole_percent(pl.col("coverage_without_top1")),
            ),
        ),
        (pl.col("unfair") & (stretch > 0), render(STRETCH_ABOVE_PEERS, **peers)),
        (pl.col("unfair") & (stretch < 0), render(STRETCH_BELOW_PEERS, **peers)),
        (
            _relief(),
            render(
                RELIEF,
                drop=money(drop, policy.corporate_currency),
                share=whole_percent(drop.cast(pl.Float64) / quota.cast(pl.Float64)),
                limit=threshold_percent(policy.outlook.relief_min_drop),
                quota=_money("quota", policy),
            ),
        ),
    )


def outlook_actions(policy: Policy) -> pl.Expr:
    """Levers for the outlook's rules: add accounts to a fragile book, align a stretch
    above peers with the fair quota (only when that lowers it), relief for moved accounts."""
    above_peers = pl.col("unfair") & (pl.col("fair_quota") < pl.col("quota"))
    return _fired(
        (pl.col("accounts_to_break") == 1, pl.lit(ADD_ACCOUNTS)),
        (above_peers, render(ALIGN_WITH_PEERS, amount=_money("fair_quota", policy))),
        (_relief(), pl.lit(QUOTA_RELIEF)),
    )


def _relief() -> pl.Expr:
    """A relief candidate with a quota to relieve (a quota of 0 needs no relief)."""
    return pl.col("relief_candidate") & (pl.col("quota") > 0)


def territory_levers(policy: Policy) -> pl.Expr:
    """Coverage, headcount or corporate investment for a territory's strategic gap."""
    headcount = pl.col("headcount_needed")
    return _fired(
        (
            pl.col("unassigned_targets") > 0,
            render(COVERAGE, amount=_money("unassigned_targets", policy)),
        ),
        (
            headcount > 0,
            plural(
                headcount,
                HEADCOUNT_ONE,
                HEADCOUNT_MANY,
                median=_money("median_seller_targets", policy),
            ),
        ),
        (
            (pl.col("strategic_gap") > 0) & headcount.is_null(),
            render(CORPORATE_INVESTMENT, gap=_money("strategic_gap", policy)),
        ),
    )


def _capacity_sentence(policy: Policy) -> pl.Expr:
    """Over capacity, naming the band the ratio falls in and that band's lower bound.

    Worded as a percentage over capacity; a policy whose low bound is below 1 can flag a
    quota under capacity, which is then worded as a share of capacity instead.
    """
    ratio = pl.col("quota_to_capacity_ratio")
    band = pl.col("risk_level")
    floors = band_floors(policy.risk_bands)
    over = render(
        CAPACITY_OVER,
        excess=whole_percent(ratio - AT_CAPACITY),
        band=band,
        threshold=_by_band(band, {level: threshold_percent_over(b) for level, b in floors.items()}),
    )
    share = render(
        CAPACITY_SHARE,
        share=whole_percent(ratio),
        band=band,
        threshold=_by_band(band, {level: threshold_percent(b) for level, b in floors.items()}),
    )
    return pl.when(ratio > AT_CAPACITY).then(over).otherwise(share)


def _quota_to_ote_sentence(policy: Policy) -> pl.Expr:
    return render(
        QUOTA_TO_OTE,
        multiple=one_decimal(pl.col("quota_to_ote")),
        low=threshold(policy.quota_to_ote.min),
        high=threshold(policy.quota_to_ote.max),
    )


def _by_band(band: pl.Expr, texts: dict[str, str]) -> pl.Expr:
    return band.replace_strict(texts, default=None, return_dtype=pl.String)


def _money(column: str, policy: Policy) -> pl.Expr:
    return money(pl.col(column), policy.corporate_currency)


def _fired(*rules: tuple[pl.Expr, pl.Expr]) -> pl.Expr:
    """The texts whose condition is true, in the order given (null conditions do not fire).

    Joined with a separator no sentence contains, then split: in Polars 2.1 this is about
    ten times faster than concat_list(...).list.drop_nulls() and gives the same lists.
    """
    joined = pl.concat_str(
        [pl.when(fires).then(text) for fires, text in rules],
        separator=_SEPARATOR,
        ignore_nulls=True,
    )
    return (
        pl.when(joined != "")
        .then(joined.str.split(_SEPARATOR))
        .otherwise(pl.lit([], pl.List(pl.String)))
    )
