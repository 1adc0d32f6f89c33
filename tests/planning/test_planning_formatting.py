"""Numbers in reasons and levers: separators, whole percentages, thresholds as written."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from quota_pipeline.planning.formatting import (
    money,
    one_decimal,
    render,
    threshold,
    threshold_percent,
    threshold_percent_over,
    whole_percent,
)


def test_money_in_whole_units_with_thousands_separators() -> None:
    amounts = pl.Series(
        "amount",
        [Decimal("1234567.49"), Decimal("999.50"), Decimal("0.00"), Decimal("100000.00"), None],
        dtype=pl.Decimal(18, 2),
    )
    rendered = pl.DataFrame([amounts]).select(money(pl.col("amount"), "USD")).to_series()
    assert rendered.to_list() == ["1,234,567 USD", "1,000 USD", "0 USD", "100,000 USD", None]


def test_percentages_and_multiples_round_halves_away_from_zero() -> None:
    frame = pl.DataFrame({"share": [0.455, 0.315, 0.25], "multiple": [9.05, 8.0, 3.14]})
    assert frame.select(whole_percent(pl.col("share"))).to_series().to_list() == ["46", "32", "25"]
    assert frame.select(one_decimal(pl.col("multiple"))).to_series().to_list() == [
        "9.1",
        "8.0",
        "3.1",
    ]


@pytest.mark.parametrize(
    ("formatter", "value", "expected"),
    [
        (threshold, 4.0, "4"),
        (threshold, 7.5, "7.5"),
        (threshold_percent, 0.40, "40"),
        (threshold_percent, 0.125, "12.5"),
        (threshold_percent_over, 1.25, "25"),
        (threshold_percent_over, 1.10, "10"),
        (threshold_percent_over, 1.00, "0"),
        (threshold_percent_over, 0.9, "-10"),
    ],
)
def test_thresholds_without_trailing_zeros(formatter, value: float, expected: str) -> None:
    assert formatter(value) == expected


def test_render_is_null_when_a_field_is_null() -> None:
    frame = pl.DataFrame({"n": ["3", None]})
    sentence = frame.select(render("{n} of {limit}", n=pl.col("n"), limit="5")).to_series()
    assert sentence.to_list() == ["3 of 5", None]
