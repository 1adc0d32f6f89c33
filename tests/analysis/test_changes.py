"""What changed between two published runs (pure Polars)."""

import polars as pl

from quota_pipeline.analysis.report.changes import new_quarantine, risk_moves
from quota_pipeline.analysis.report.data import focus_period


def levels(rows):
    return pl.DataFrame(rows, schema=["period", "seller_id", "risk_level"], orient="row")


def test_risk_moves_lists_worse_first_then_new_then_better():
    previous = levels([("P1", "a", "low"), ("P1", "b", "critical"), ("P1", "c", "high")])
    current = levels(
        [("P1", "a", "critical"), ("P1", "b", "medium"), ("P1", "c", "high"), ("P1", "d", "low")]
    )
    moves = risk_moves(previous, current)
    assert moves.rows() == [
        ("P1", "a", "low", "critical", "worse"),
        ("P1", "d", None, "low", "new"),
        ("P1", "b", "critical", "medium", "better"),
    ]


def test_first_publish_has_no_moves():
    assert risk_moves(None, levels([("P1", "a", "low")])).is_empty()


def test_new_quarantine_compares_extract_key_and_reason_with_null_keys():
    schema = {"extract": pl.String, "record_key": pl.String, "reason": pl.String}
    before = pl.DataFrame([("accounts", None, "missing key")], schema=schema, orient="row")
    now = pl.DataFrame(
        [("accounts", None, "missing key"), ("quotas", "S1|P1", "negative money")],
        schema=schema,
        orient="row",
    )
    assert new_quarantine(before, now).rows() == [("quotas", "S1|P1", "negative money")]
    assert new_quarantine(None, now).height == 2


def test_focus_period_is_the_current_then_the_next_then_the_last():
    from datetime import date

    periods = [
        ("Q1", date(2026, 2, 1), date(2026, 4, 30)),
        ("Q2", date(2026, 5, 1), date(2026, 7, 31)),
    ]
    assert focus_period(periods, date(2026, 5, 2)) == "Q2"
    assert focus_period(periods, date(2026, 1, 1)) == "Q1"
    assert focus_period(periods, date(2027, 1, 1)) == "Q2"
