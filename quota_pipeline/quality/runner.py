"""Run one GX suite on one table, render Data Docs, summarise the result.

Raw-extract suites are the expensive ones (39M account-target rows at 10M accounts), so
they run in DuckDB: the suite's one query is written once to an in-memory table of the
pipeline's own DuckDB and GX's SQL engine validates that table there, through the dialect
in ``sql_engine`` (GX has no DuckDB dialect of its own). Drift suites validate a per-period profile of a few rows,
as a pandas frame backed by Arrow (``ArrowDtype``). Either way a table is read once and
all of its expectations run in one validation. The GX project is file based under
``<warehouse dir>/quality`` so the Data Docs site there keeps every run's results; nothing
in it touches the network.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from quota_pipeline.quality.sql_engine import shared_catalog
from quota_pipeline.quality.suites import NEEDS_PREVIOUS

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.data_context import AbstractDataContext


@cache
def _gx() -> ModuleType:
    """GX, imported on first validation (it takes seconds; definitions load without it)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch below 1 GB with pd.util.hash_pandas_object, only
    # to label the batch; on Arrow-backed frames that hash took 10-18 s for 3.9M account
    # targets (more than all expectations together). The label is not needed: no hash.
    pandas_execution_engine.HASH_THRESHOLD = 0
    # With no dialect module for DuckDB, GX compares column types with SQLAlchemy's generic
    # types (as intended, see sql_engine) and warns so once per type expectation.
    logging.getLogger("great_expectations.expectations.type_comparison").setLevel(logging.ERROR)
    return gx


DATASOURCE = "quota_frames"
SQL_DATASOURCE = "quota_duckdb"
FRAME_TABLE = "gx_frame"
DOCS_SITE = "local_site"


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


@dataclass(frozen=True)
class SuiteOptions:
    """How one suite runs: the policy's numbers, how much of a failure is shown, whether
    there is a published run to compare with, and how many past results are kept."""

    parameters: Mapping[str, float] = field(default_factory=dict)
    sample_size: int = 5
    keep_results: int | None = None
    has_previous: bool = True
    index_columns: tuple[str, ...] = ()


def read_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """One query, one scan: the result as a pandas frame backed by Arrow buffers."""
    return con.sql(sql).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


@cache
def quality_context(folder: str) -> AbstractDataContext:
    """The file-based GX project under ``folder`` (created on first use), no progress bars."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    context = _gx().get_context(mode="file", project_root_dir=folder)
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.variables.save()
    return context


def docs_index(folder: Path) -> Path:
    """The Data Docs home page of the GX project under ``folder``."""
    return folder / "gx" / "uncommitted" / "data_docs" / DOCS_SITE / "index.html"


def validate_frame(
    folder: Path,
    document: dict[str, Any],
    frame: pd.DataFrame,
    options: SuiteOptions = SuiteOptions(),
) -> SuiteOutcome:
    """Validate a small pandas ``frame`` against one suite document (drift profiles).

    Expectations that compare with the last published run are skipped when there is none.
    """
    started = time.perf_counter()
    context = quality_context(str(folder))
    batch = _frame_batch_definition(context, document["name"])
    return _run_suite(
        context, folder, document, batch, {"dataframe": frame}, len(frame), started, options
    )


def validate_query(
    folder: Path,
    document: dict[str, Any],
    con: duckdb.DuckDBPyConnection,
    sql: str,
    options: SuiteOptions = SuiteOptions(),
) -> SuiteOutcome:
    """Validate the rows of ``sql`` (run on ``con``) in DuckDB with GX's SQL engine.

    The rows are written once to a table in an in-memory catalog attached to ``con`` for
    this validation (DuckDB spills it to its temp directory past the memory limit), and
    GX reads that table through cursors of ``con`` (``sql_engine.shared_catalog``).
    """
    started = time.perf_counter()
    catalog = f"gx_frame_{uuid.uuid4().hex[:12]}"
    con.execute(f"attach ':memory:' as {catalog}")
    try:
        con.execute(f"create table {catalog}.main.{FRAME_TABLE} as {sql}")
        ((rows,),) = con.execute(f"select count(*) from {catalog}.main.{FRAME_TABLE}").fetchall()
        context = quality_context(str(folder))
        with shared_catalog(con, catalog) as url:
            datasource = _sql_datasource(context, url)
            batch_definition = _table_batch_definition(datasource, document["name"])
            return _run_suite(
                context, folder, document, batch_definition, None, rows, started, options
            )
    finally:
        con.execute(f"detach {catalog}")


def prune_results(folder: Path, suite: str, keep: int) -> None:
    """Keep the newest ``keep`` results of ``suite``: stored JSON and Data Docs pages.

    GX keeps every validation result and rebuilds the site's index from all of them at
    every run; a year of nightly runs would be 4,700 pages and an ever slower index.
    """
    uncommitted = folder / "gx" / "uncommitted"
    for store in (
        uncommitted / "validations",
        uncommitted / "data_docs" / DOCS_SITE / "validations",
    ):
        # <store>/<suite parts>/<run name>/<run time>/<batch>.json|html; run times sort
        runs = sorted(store.joinpath(*suite.split(".")).glob("*/*"), key=lambda run: run.name)
        for stale in runs[: max(len(runs) - keep, 0)]:
            shutil.rmtree(stale, ignore_errors=True)


def _run_suite(
    context: AbstractDataContext,
    folder: Path,
    document: dict[str, Any],
    batch_definition: Any,
    batch_parameters: dict[str, Any] | None,
    rows: int,
    started: float,
    options: SuiteOptions,
) -> SuiteOutcome:
    """One checkpoint run of the suite on one batch, with its Data Docs page."""
    gx = _gx()
    from great_expectations.checkpoint import UpdateDataDocsAction

    name = document["name"]
    if options.keep_results is not None:
        # the result about to be stored makes options.keep_results
        prune_results(folder, name, options.keep_results - 1)
    expectations, skipped = _applicable(document["expectations"], options.has_previous)
    expectations = [_resolved(expectation, options.parameters) for expectation in expectations]
    suite = context.suites.add_or_update(
        gx.ExpectationSuite(name=name, expectations=expectations, meta=document.get("meta"))
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[
                context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
                )
            ],
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
            result_format=_result_format(options.index_columns),
        )
    )
    result = checkpoint.run(batch_parameters=batch_parameters)
    identifier, validation = next(iter(result.run_results.items()))
    return SuiteOutcome(
        suite=name,
        success=bool(validation.success),
        rows=rows,
        evaluated=len(validation.results),
        failed=tuple(_failed(validation, options.index_columns, options.sample_size)),
        docs_page=_docs_page(context, identifier, folder),
        seconds=time.perf_counter() - started,
        skipped=tuple(skipped),
    )


def _applicable(
    expectations: list[dict[str, Any]], has_previous: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    kept, skipped = [], []
    for expectation in expectations:
        if not has_previous and expectation.get("meta", {}).get(NEEDS_PREVIOUS):
            skipped.append(f"{expectation['type']} on {expectation['kwargs'].get('column')}")
        else:
            kept.append(expectation)
    return kept, skipped


def _resolved(expectation: dict[str, Any], parameters: Mapping[str, float]) -> dict[str, Any]:
    """Replace ``{"$PARAMETER": name}`` values by the policy's numbers.

    Resolved here rather than by GX so that ``mostly`` can be a parameter too and the
    Data Docs show the thresholds that applied.
    """
    kwargs = {}
    for key, value in expectation["kwargs"].items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            value = parameters[value["$PARAMETER"]]
        kwargs[key] = value
    return {**expectation, "kwargs": kwargs}


def _frame_batch_definition(context: AbstractDataContext, name: str) -> Any:
    datasource = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole_frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole_frame")


def _sql_datasource(context: AbstractDataContext, url: str) -> Any:
    """GX's SQL datasource on a lent DuckDB connection (``sql_engine.shared_catalog``)."""
    return context.data_sources.add_or_update_sql(SQL_DATASOURCE, connection_string=url)


def _table_batch_definition(datasource: Any, name: str) -> Any:
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_table_asset(name, table_name=FRAME_TABLE)
    try:
        return asset.get_batch_definition("whole_table")
    except KeyError:
        return asset.add_batch_definition_whole_table("whole_table")


def _result_format(index_columns: tuple[str, ...]) -> dict[str, Any]:
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    if index_columns:
        result_format["unexpected_index_column_names"] = list(index_columns)
    return result_format


def _failed(
    validation: ExpectationSuiteValidationResult, index_columns: tuple[str, ...], size: int
) -> list[FailedExpectation]:
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
    key = (config.meta or {}).get("unique_key") if config else None
    column = kwargs.get("column") or ", ".join(kwargs.get("column_list") or key or []) or None
    if kwargs.get("column_A"):
        column = f"{kwargs['column_A']} >= {kwargs['column_B']}"
    details = result.result or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = str(result.exception_info.get("exception_message", "failed"))[:200]
    observed = details.get("observed_value")
    unexpected_count = details.get("unexpected_count")
    if key and isinstance(observed, int):  # the unexpected-rows query counts rows
        unexpected_count, observed = observed, None
    return FailedExpectation(
        expectation=config.type if config else "unknown",
        column=column,
        unexpected_count=unexpected_count,
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


def _docs_page(context: AbstractDataContext, identifier: Any, folder: Path) -> Path | None:
    for site in context.get_docs_sites_urls(resource_identifier=identifier, site_names=[DOCS_SITE]):
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    index = docs_index(folder)
    return index if index.exists() else None
