"""DuckDB's currency conversion (macros/to_corporate.sql) gives the exact decimal result.

The DuckDB macro takes most products in doubles and falls back to the exact decimal
product near a half cent, for large amounts and for nulls. Both macros are rendered from
the dbt project and compared in DuckDB: on ties and near-ties, on the limits of the double
path, and on 200k random amounts and rates; the ties are also checked against Python's
decimal arithmetic (halves away from zero, docs/contract.md section 3).
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pyarrow as pa
import pytest
from jinja2 import Environment, FileSystemLoader

from quota_pipeline.settings import DBT_PROJECT_DIR

CENT = Decimal("0.01")
# (amount, rate): ties, near-ties, both signs, the double path's limits, extremes
EDGE_CASES = [
    ("0.5", "0.01"),  # 0.5 cent: a tie, up
    ("-0.5", "0.01"),  # a tie, down
    ("0.005", "1"),
    ("-0.005", "1"),
    ("2.675", "1"),  # 267.49999... as a double
    ("1.005", "1"),
    ("10.145", "1"),
    ("0.285", "1"),
    ("8.345", "1"),
    ("0.335", "3"),
    ("100.005", "1.1"),
    ("1.234565", "1"),
    ("0.125", "0.1"),
    ("4999999.995", "0.001"),
    ("49999.999995", "1"),
    ("9999999.994999", "1"),  # just below the double path's 1e9 cents
    ("9999999.995", "1"),  # a tie at the limit
    ("10000000.004999", "1"),  # above it: exact path
    ("123456789.123456", "1.2345678901"),
    ("999999999999.999999", "0.0000000001"),
    ("0.000001", "0.0000000001"),
    ("0", "0.7300000000"),
    ("1653482358", "1.27"),
    ("3.3333335", "1.5"),
]


def _macro(adapter: str) -> str:
    macros = Environment(loader=FileSystemLoader(DBT_PROJECT_DIR / "macros"))
    module = macros.get_template("to_corporate.sql").module
    return str(getattr(module, f"{adapter}__to_corporate")("amount", "rate"))


def _converted(rows: list[tuple[str | None, str | None]]) -> list[tuple[object, object]]:
    values = pa.table({"amount": [a for a, _ in rows], "rate": [r for _, r in rows]})
    con = duckdb.connect()
    con.register("conversion_values", values)
    con.execute(
        "create table conversions as select cast(amount as decimal(18, 6)) as amount, "
        "cast(rate as decimal(18, 10)) as rate from conversion_values"
    )
    return con.execute(
        f"select {_macro('duckdb')}, {_macro('default')} from conversions order by rowid"
    ).fetchall()


def test_ties_and_limits_match_exact_decimal_rounding() -> None:
    results = _converted(EDGE_CASES)
    for (amount, rate), (fast, exact) in zip(EDGE_CASES, results, strict=True):
        expected = (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)
        assert exact == expected, (amount, rate)
        assert fast == expected, (amount, rate)


def test_nulls_stay_null() -> None:
    assert _converted([(None, "1.1"), ("12.5", None)]) == [(None, None), (None, None)]


@pytest.mark.parametrize("seed", [7, 2027])
def test_random_amounts_and_rates_match_the_exact_product(seed: int) -> None:
    draw = random.Random(seed)
    rates = ["1", "1.08", "1.27", "0.0067", "0.73", "0.18", "0.66"]
    rows = []
    for _ in range(100_000):
        scale = draw.choice([0, 2, 2, 2, 3, 6])
        amount = Decimal(draw.randrange(0, 10 ** draw.randint(1, 12 + scale))).scaleb(-scale)
        if draw.random() < 0.5:
            rate = draw.choice(rates)
        else:
            rate = str(Decimal(draw.randrange(1, 10**12)).scaleb(-10))
        rows.append((str(-amount if draw.random() < 0.1 else amount), rate))
    results = _converted(rows)
    mismatches = [
        (row, fast, exact)
        for row, (fast, exact) in zip(rows, results, strict=True)
        if fast != exact
    ]
    assert mismatches == []
    # most rows must take the double path, or this test would not exercise it
    in_double_range = sum(abs(Decimal(a) * Decimal(r)) < Decimal("1e7") for a, r in rows)
    assert in_double_range > 0.6 * len(rows)
