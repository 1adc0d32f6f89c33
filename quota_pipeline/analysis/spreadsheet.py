"""Spreadsheet formula injection: a CSV cell a spreadsheet would run as a formula.

Extract values (account names, reasons) come from a CRM anyone can type into. A cell
starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is run as a formula when the CSV is opened,
so text cells are prefixed with a single quote, the OWASP recommendation. Numbers are
written as numbers: a negative gap stays a negative number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
LIST_SEPARATOR = "; "


def neutralise(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading quote before a formula trigger."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_cell(value: object) -> object:
    """A query value as a CSV cell: numbers as they are, text neutralised, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise(LIST_SEPARATOR.join("" if item is None else str(item) for item in value))
    return neutralise(str(value))


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_cell(value) for value in values]
