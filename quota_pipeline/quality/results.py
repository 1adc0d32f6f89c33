"""What a validated suite says, as named records: each failed expectation and the suite's
outcome, summarised from GX's validation results.

It exists so that the checks and the alerts read plain records, never GX's result objects:
this module is the one place that knows their shape (``result_format`` asks GX for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that failed: what, on which column, how many rows, a few examples."""

    expectation: str
    column: str | None
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: tuple[str, ...]
    observed: str | None = None
    error: str | None = None

    def line(self) -> str:
        """One readable line, for metadata tables and alert text."""
        where = f" on {self.column}" if self.column else ""
        if self.error:
            return f"{self.expectation}{where}: error {self.error}"
        count = f"observed {self.observed}"
        if self.unexpected_count is not None:
            count = f"{self.unexpected_count:,} unexpected rows"
        if self.unexpected_percent is not None:
            count += f" ({self.unexpected_percent:.2f}%)"
        examples = f"; e.g. {', '.join(self.examples)}" if self.examples else ""
        return f"{self.expectation}{where}: {count}{examples}"


@dataclass(frozen=True)
class SuiteOutcome:
    """A suite's result as checks and alerts show it."""

    suite: str
    success: bool
    rows: int
    evaluated: int
    failed: tuple[FailedExpectation, ...]
    docs_page: Path | None
    seconds: float
    skipped: tuple[str, ...] = field(default=())

    @property
    def unexpected_rows(self) -> int:
        return sum(item.unexpected_count or 0 for item in self.failed)


def result_format(index_columns: tuple[str, ...]) -> dict[str, Any]:
    """What GX reports of each expectation: counts, 20 examples, and where they are."""
    requested: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    if index_columns:
        requested["unexpected_index_column_names"] = list(index_columns)
    return requested


def failed_expectations(
    validation: ExpectationSuiteValidationResult, index_columns: tuple[str, ...], size: int
) -> list[FailedExpectation]:
    """Each failed expectation of a suite's result, with at most ``size`` examples."""
    return [
        _summarise(result, index_columns, size)
        for result in validation.results
        if not result.success
    ]


def _summarise(
    result: ExpectationValidationResult, index_columns: tuple[str, ...], size: int
) -> FailedExpectation:
    config = result.expectation_config
    kwargs = config.kwargs if config else {}
    column = kwargs.get("column") or ", ".join(kwargs.get("column_list") or []) or None
    if kwargs.get("column_A"):
        column = f"{kwargs['column_A']} >= {kwargs['column_B']}"
    details = result.result or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = str(result.exception_info.get("exception_message", "failed"))[:200]
    observed = details.get("observed_value")
    return FailedExpectation(
        expectation=config.type if config else "unknown",
        column=column,
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        examples=_examples(details, index_columns, size),
        observed=None if observed is None else str(observed)[:200],
        error=error,
    )


def _examples(
    details: dict[str, Any], index_columns: tuple[str, ...], size: int
) -> tuple[str, ...]:
    values = list(details.get("partial_unexpected_list") or [])[:size]
    indexes = list(details.get("partial_unexpected_index_list") or [])[:size]
    scalars = [value for value in values if not isinstance(value, tuple | list | dict)]
    if not indexes and len(scalars) == len(values) and all(pd.isna(value) for value in scalars):
        return ()  # a null that should not be null says nothing more than its count
    examples = []
    for position, value in enumerate(values):
        where = ""
        if position < len(indexes) and isinstance(indexes[position], dict):
            located = indexes[position]
            where = " ".join(f"{key}={located[key]}" for key in index_columns if key in located)
            where = f" ({where})" if where else ""
        examples.append(f"{_short(value)}{where}")
    return tuple(examples)


def _short(value: Any) -> str:
    if isinstance(value, tuple | list):
        text = "(" + ", ".join(str(item) for item in value) + ")"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."
