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

import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


_GX_IMPORT = threading.Lock()


@cache
def _gx() -> ModuleType:
    """GX, imported and configured once: on the ingest's background thread or, failing
    that, by the first validation (it takes seconds; definitions load without it)."""
    with _GX_IMPORT:  # one importer at a time, whichever thread asks first
        return _import_gx()


def import_gx_in_background() -> threading.Thread:
    """Start importing GX on a thread of its own, for a step that will validate later.

    GX's import is about 3 s of Python (pydantic models, scipy). Started when the ingest
    begins, it runs while DuckDB (which releases the GIL) reads the extracts, instead of
    stalling the first validation; the raw suites then find it done or nearly so.
    """
    # SQLAlchemy's ORM is the one package both GX and this thread's Dagster storage use:
    # Dagster's SQLAlchemy core code takes the ORM's modules once they are in sys.modules,
    # so they must never be seen half-imported by another thread. Imported here first.
    import sqlalchemy.orm  # noqa: F401

    thread = threading.Thread(target=_import_quietly, name="gx-import", daemon=True)
    thread.start()
    return thread


def _import_quietly() -> None:
    # A failed import here is not reported: the validation's own call imports again and
    # raises in the step that needs GX, where the error belongs.
    with suppress(Exception):
        _gx()


def _import_gx() -> ModuleType:
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
# Suite meta key: digest of the expectations and meta the stored suite was saved from.
SUITE_DIGEST = "quota_pipeline_digest"


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
        batch = _frame_batch_definition(run.context, document["name"])
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
            datasource = _sql_datasource(run.context, url)
            for document, sql in suites:
                started = time.perf_counter()
                con.execute(f"create table {frame} as {sql}")
                ((rows,),) = con.execute(f"select count(*) from {frame}").fetchall()
                batch = _table_batch_definition(datasource, document["name"])
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
        _gx()  # configured before any GX module is imported
        wait_for_data_docs()  # the GX project is used by one at a time
        from great_expectations.core.run_identifier import RunIdentifier

        self.folder = folder
        self.context = quality_context(str(folder))
        self.run_id = RunIdentifier(run_time=datetime.now(UTC))
        self._validated: list[tuple[Any, Any, int, float, SuiteOptions, tuple[str, ...]]] = []

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
        suite = _stored_suite(self.context, name, expectations, document.get("meta") or {})
        definition = _stored_definition(self.context, name, batch_definition, suite)
        validation = definition.run(
            batch_parameters=batch_parameters,
            result_format=_result_format(options.index_columns),
            run_id=self.run_id,
        )
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
            run_id=self.run_id,
            batch_identifier=validation.batch_id,
        )
        seconds = time.perf_counter() - started
        self._validated.append((identifier, validation, rows, seconds, options, tuple(skipped)))

    def finish(self) -> list[SuiteOutcome]:
        """The outcomes, in order; the Data Docs site is updated for all of them on the
        Data Docs thread (``build_data_docs_in_background``)."""
        identifiers = []
        for identifier, _validation, *_ in self._validated:
            identifiers += [identifier, identifier.expectation_suite_identifier]
        outcomes = [
            SuiteOutcome(
                suite=validation.suite_name,
                success=bool(validation.success),
                rows=rows,
                evaluated=len(validation.results),
                failed=tuple(_failed(validation, options.index_columns, options.sample_size)),
                docs_page=_docs_page(self.context, identifier, self.folder),
                seconds=seconds,
                skipped=skipped,
            )
            for identifier, validation, rows, seconds, options, skipped in self._validated
        ]
        if identifiers:
            build_data_docs_in_background(self.context, identifiers)
        return outcomes


# One thread renders Data Docs, one site update at a time. Rendering is seconds of Python
# that nothing in the run waits for: it overlaps what comes next (dbt works in a process
# of its own), the next GX validation waits for it (GX's stores are not shared between
# threads), and the run waits for it before it reports (``wait_for_data_docs``); the
# interpreter also joins the thread before it exits.
_DATA_DOCS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-data-docs")
_pending_docs: list[Future[None]] = []


def build_data_docs_in_background(context: AbstractDataContext, identifiers: list[Any]) -> None:
    """Update the Data Docs site for ``identifiers`` on the Data Docs thread."""
    _pending_docs.append(
        _DATA_DOCS.submit(
            context.build_data_docs, site_names=[DOCS_SITE], resource_identifiers=identifiers
        )
    )


def wait_for_data_docs() -> None:
    """Return once every Data Docs update asked for so far is written.

    A failed update is logged, not raised: the validation results it renders are stored
    and the checks report them; the next update rebuilds the site's index.
    """
    while _pending_docs:
        update = _pending_docs.pop(0)
        error = update.exception()
        if error is not None:
            logging.getLogger(__name__).warning("Data Docs update failed: %s", error)


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


def _stored_suite(
    context: AbstractDataContext,
    name: str,
    expectations: list[dict[str, Any]],
    meta: dict[str, Any],
) -> Any:
    """The suite as stored in the GX project, saved again only when its content changed.

    GX's ``suites.add_or_update`` compares every new expectation with every stored one
    (pydantic objects, quadratic) and rewrites the file: 70-90 ms a suite, every night for
    suites that change only with the code or the policy. The stored suite carries the
    digest of what it was saved from; an equal digest means it is the same suite.
    """
    gx = _gx()
    from great_expectations.exceptions import DataContextError

    digest = hashlib.sha256(
        json.dumps([expectations, meta], sort_keys=True, default=str).encode()
    ).hexdigest()
    try:
        stored = context.suites.get(name=name)
    except DataContextError:
        stored = None
    if stored is not None and (stored.meta or {}).get(SUITE_DIGEST) == digest:
        return stored
    return context.suites.add_or_update(
        gx.ExpectationSuite(
            name=name, expectations=expectations, meta={**meta, SUITE_DIGEST: digest}
        )
    )


def _stored_definition(
    context: AbstractDataContext, name: str, batch_definition: Any, suite: Any
) -> Any:
    """The validation definition of ``suite`` on ``batch_definition``, saved only when new.

    GX's ``validation_definitions.add_or_update`` saves the suite again (the same quadratic
    comparison as above) and the batch definition, whatever changed.
    """
    gx = _gx()
    from great_expectations.exceptions import DataContextError

    try:
        stored = context.validation_definitions.get(name=name)
    except DataContextError:
        stored = None
    if (
        stored is not None
        and stored.suite.id == suite.id
        and stored.batch_definition.id == batch_definition.id
    ):
        return stored
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
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


def _docs_page(context: AbstractDataContext, identifier: Any, folder: Path) -> Path | None:
    sites = context.get_docs_sites_urls(
        resource_identifier=identifier, site_names=[DOCS_SITE], only_if_exists=False
    )
    for site in sites:
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    index = docs_index(folder)
    return index if index.exists() else None
