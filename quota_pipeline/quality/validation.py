"""Validating rows against GX suites: a DuckDB query's rows in DuckDB, or small pandas
frames, each table read once and all of its expectations run in one validation.

It exists to keep the two ways rows reach GX in one place. Raw-extract suites are the
expensive ones (39M account-target rows at 10M accounts), so they run in DuckDB: the
suite's one query is written once to an in-memory table of the pipeline's own DuckDB and
GX's SQL engine validates that table there, through the dialect in ``sql_engine`` (GX has
no DuckDB dialect of its own). Drift suites validate a per-period profile of a few rows,
as a pandas frame backed by Arrow (``ArrowDtype``). The GX project is gx_project.py's;
the outcomes are results.py's records.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from quota_pipeline.quality.gx_project import (
    FRAME_TABLE,
    build_data_docs_in_background,
    docs_page,
    frame_batch_definition,
    gx_module,
    prune_results,
    quality_context,
    sql_datasource,
    stored_definition,
    stored_suite,
    table_batch_definition,
    wait_for_data_docs,
)
from quota_pipeline.quality.results import SuiteOutcome, failed_expectations, result_format
from quota_pipeline.quality.sql_engine import shared_catalog
from quota_pipeline.quality.suites import NEEDS_PREVIOUS

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )


@dataclass(frozen=True)
class SuiteOptions:
    """How one suite runs: the policy's numbers, how much of a failure is shown, whether
    there is a published run to compare with, and how many past results are kept."""

    parameters: Mapping[str, float] = field(default_factory=dict)
    sample_size: int = 5
    keep_results: int | None = None
    has_previous: bool = True
    index_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidatedSuite:
    """One suite a _SuiteRun validated: its stored result and what its outcome needs."""

    identifier: ValidationResultIdentifier
    validation: ExpectationSuiteValidationResult
    rows: int
    seconds: float
    options: SuiteOptions
    skipped: tuple[str, ...]


def read_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """One query, one scan: the result as a pandas frame backed by Arrow buffers."""
    return con.sql(sql).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


def validate_frame(
    folder: Path,
    document: dict[str, Any],
    frame: pd.DataFrame,
    options: SuiteOptions = SuiteOptions(),
) -> SuiteOutcome:
    """Validate a small pandas ``frame`` against one suite document (drift profiles)."""
    return validate_frames(folder, [(document, frame, options)])[0]


def validate_frames(
    folder: Path, suites: Sequence[tuple[dict[str, Any], pd.DataFrame, SuiteOptions]]
) -> list[SuiteOutcome]:
    """Validate small pandas frames, each with its suite document and options, as one GX run.

    Expectations that compare with the last published run are skipped when a suite's
    options say there is none.
    """
    run = _SuiteRun(folder)
    for document, frame, options in suites:
        started = time.perf_counter()
        batch = frame_batch_definition(run.context, document["name"])
        run.validate(document, batch, {"dataframe": frame}, len(frame), started, options)
    return run.finish()


def validate_query(
    folder: Path,
    document: dict[str, Any],
    con: duckdb.DuckDBPyConnection,
    sql: str,
    options: SuiteOptions = SuiteOptions(),
) -> SuiteOutcome:
    """Validate the rows of ``sql`` (run on ``con``) in DuckDB with GX's SQL engine."""
    return validate_queries(folder, con, [(document, sql)], options)[0]


def validate_queries(
    folder: Path,
    con: duckdb.DuckDBPyConnection,
    suites: Sequence[tuple[dict[str, Any], str]],
    options: SuiteOptions = SuiteOptions(),
) -> list[SuiteOutcome]:
    """Validate the rows of each ``sql`` (run on ``con``) against its suite, as one GX run.

    One suite at a time, its rows are written once to a table in an in-memory catalog
    attached to ``con`` (DuckDB spills it to its temp directory past the memory limit), GX
    reads that table through cursors of ``con`` (``sql_engine.shared_catalog``), and the
    table is dropped before the next suite's rows are written: at 10M accounts only one
    suite's rows (39M account targets at most) are held at a time.
    """
    run = _SuiteRun(folder)
    catalog = f"gx_frame_{uuid.uuid4().hex[:12]}"
    frame = f"{catalog}.main.{FRAME_TABLE}"
    con.execute(f"attach ':memory:' as {catalog}")
    try:
        with shared_catalog(con, catalog) as url:
            datasource = sql_datasource(run.context, url)
            for document, sql in suites:
                started = time.perf_counter()
                con.execute(f"create table {frame} as {sql}")
                ((rows,),) = con.execute(f"select count(*) from {frame}").fetchall()
                batch = table_batch_definition(datasource, document["name"])
                run.validate(document, batch, None, rows, started, options)
                con.execute(f"drop table {frame}")
    finally:
        con.execute(f"detach {catalog}")
    return run.finish()


class _SuiteRun:
    """Suites validated together: one GX context, one run id, one Data Docs build.

    GX's own UpdateDataDocsAction rebuilds the site index and pages after every single
    validation (0.5-0.7 s each, 13 times a night); here each validation definition runs and
    stores its result, and the site is updated once for all of them, in the background.
    """

    def __init__(self, folder: Path) -> None:
        gx_module()  # configured before any GX module is imported
        wait_for_data_docs()  # the GX project is used by one at a time
        from great_expectations.core.run_identifier import RunIdentifier

        self.folder = folder
        self.context = quality_context(str(folder))
        self.run_id = RunIdentifier(run_time=datetime.now(UTC))
        self._validated: list[ValidatedSuite] = []

    def validate(
        self,
        document: dict[str, Any],
        batch_definition: Any,
        batch_parameters: dict[str, Any] | None,
        rows: int,
        started: float,
        options: SuiteOptions,
    ) -> None:
        """Run one suite on one batch and store its result (no Data Docs yet)."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        name = document["name"]
        if options.keep_results is not None:
            # the result about to be stored makes options.keep_results
            prune_results(self.folder, name, options.keep_results - 1)
        expectations, skipped = _applicable(document["expectations"], options.has_previous)
        expectations = [_resolved(expectation, options.parameters) for expectation in expectations]
        suite = stored_suite(self.context, name, expectations, document.get("meta") or {})
        definition = stored_definition(self.context, name, batch_definition, suite)
        validation = definition.run(
            batch_parameters=batch_parameters,
            result_format=result_format(options.index_columns),
            run_id=self.run_id,
        )
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
            run_id=self.run_id,
            batch_identifier=validation.batch_id,
        )
        self._validated.append(
            ValidatedSuite(
                identifier=identifier,
                validation=validation,
                rows=rows,
                seconds=time.perf_counter() - started,
                options=options,
                skipped=tuple(skipped),
            )
        )

    def finish(self) -> list[SuiteOutcome]:
        """The outcomes, in order; the Data Docs site is updated for all of them on the
        Data Docs thread (``build_data_docs_in_background``)."""
        identifiers = []
        for validated in self._validated:
            identifiers += [validated.identifier, validated.identifier.expectation_suite_identifier]
        outcomes = [self._outcome(validated) for validated in self._validated]
        if identifiers:
            build_data_docs_in_background(self.context, identifiers)
        return outcomes

    def _outcome(self, validated: ValidatedSuite) -> SuiteOutcome:
        validation, options = validated.validation, validated.options
        return SuiteOutcome(
            suite=validation.suite_name,
            success=bool(validation.success),
            rows=validated.rows,
            evaluated=len(validation.results),
            failed=tuple(
                failed_expectations(validation, options.index_columns, options.sample_size)
            ),
            docs_page=docs_page(self.context, validated.identifier, self.folder),
            seconds=validated.seconds,
            skipped=validated.skipped,
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
