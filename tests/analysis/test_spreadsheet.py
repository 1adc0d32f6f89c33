"""Formula-injection neutralising of CSV cells (pure logic)."""

from datetime import date
from decimal import Decimal

import pytest

from quota_pipeline.analysis.spreadsheet import csv_cell, neutralise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme = best", "Acme = best"),
        ("", ""),
        ("plain", "plain"),
    ],
)
def test_text_cells_starting_with_a_trigger_get_a_quote(text, expected):
    assert neutralise(text) == expected


def test_numbers_stay_numbers_and_lists_are_joined_then_neutralised():
    assert csv_cell(-5) == -5
    assert csv_cell(Decimal("-48529.22")) == Decimal("-48529.22")
    assert csv_cell(-0.5) == -0.5
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(date(2027, 2, 1)) == "2027-02-01"
    assert csv_cell(["=cmd", "b"]) == "'=cmd; b"
    assert csv_cell(["a", "=b"]) == "a; =b"
