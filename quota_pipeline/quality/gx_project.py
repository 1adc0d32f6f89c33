"""The GX project the checks validate in: GX's import, the file-based context, its stored
suites and definitions, Data Docs rendered on a thread, and the pruning of old results.

It exists so that validation.py deals with suites and rows only. The project lives under
``<warehouse dir>/quality`` so its Data Docs site keeps every run's results; nothing in it
touches the network. GX is imported lazily (definitions load without it) and at most once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from contextlib import suppress
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext


DATASOURCE = "quota_frames"
SQL_DATASOURCE = "quota_duckdb"
# The table a query's rows are written to before GX's SQL engine validates them.
FRAME_TABLE = "gx_frame"
DOCS_SITE = "local_site"
# Suite meta key: digest of the expectations and meta the stored suite was saved from.
SUITE_DIGEST = "quota_pipeline_digest"

_GX_IMPORT = threading.Lock()


@cache
def gx_module() -> ModuleType:
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
        gx_module()


def _import_gx() -> ModuleType:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch below 1 GB with pd.util.hash_pandas_object, only
    # to label the batch; on Arrow-backed frames that hash took 10-18 s for 3.9M account
    # targets (more than all expectations together). The label is not needed: no hash.
    pandas_execution_engine.HASH_THRESHOLD = 0
    # With no dialect module for DuckDB, GX compares column types with SQLAlchemy's generic
    # types (as intended, see sql_engine) and warns so once per type expectation.
    logging.getLogger("great_expectations.expectations.type_comparison").setLevel(logging.ERROR)
    return great_expectations


@cache
def quality_context(folder: str) -> AbstractDataContext:
    """The file-based GX project under ``folder`` (created on first use), no progress bars."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    context = gx_module().get_context(mode="file", project_root_dir=folder)
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.variables.save()
    return context


def docs_index(folder: Path) -> Path:
    """The Data Docs home page of the GX project under ``folder``."""
    return folder / "gx" / "uncommitted" / "data_docs" / DOCS_SITE / "index.html"


def docs_page(context: AbstractDataContext, identifier: Any, folder: Path) -> Path | None:
    """The Data Docs page of one stored validation result (the index when it has none)."""
    sites = context.get_docs_sites_urls(
        resource_identifier=identifier, site_names=[DOCS_SITE], only_if_exists=False
    )
    for site in sites:
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    index = docs_index(folder)
    return index if index.exists() else None


# A thread renders Data Docs, one site update at a time. Rendering is seconds of Python
# that nothing in the run waits for: it overlaps what comes next (dbt works in a process
# of its own), the next GX validation waits for it (GX's stores are not shared between
# threads), and the run waits for it before it reports (``wait_for_data_docs``). A thread
# per update, which ends with it: no idle worker outlives the work (a process such as
# `dagster dev` exits once its own threads are done), and the interpreter joins a running
# one before it exits.
_pending_docs: list[tuple[threading.Thread, list[BaseException]]] = []


def build_data_docs_in_background(context: AbstractDataContext, identifiers: list[Any]) -> None:
    """Update the Data Docs site for ``identifiers`` on a thread, after earlier updates."""
    earlier = [thread for thread, _errors in _pending_docs]
    errors: list[BaseException] = []

    def update() -> None:
        for thread in earlier:
            thread.join()
        try:
            context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=identifiers)
        except Exception as error:  # reported by wait_for_data_docs
            errors.append(error)

    thread = threading.Thread(target=update, name="gx-data-docs")
    thread.start()
    _pending_docs.append((thread, errors))


def wait_for_data_docs() -> None:
    """Return once every Data Docs update asked for so far is written.

    A failed update is logged, not raised: the validation results it renders are stored
    and the checks report them; the next update rebuilds the site's index.
    """
    while _pending_docs:
        thread, errors = _pending_docs.pop(0)
        thread.join()
        for error in errors:
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


def stored_suite(
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
    module = gx_module()
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
        module.ExpectationSuite(
            name=name, expectations=expectations, meta={**meta, SUITE_DIGEST: digest}
        )
    )


def stored_definition(
    context: AbstractDataContext, name: str, batch_definition: Any, suite: Any
) -> Any:
    """The validation definition of ``suite`` on ``batch_definition``, saved only when new.

    GX's ``validation_definitions.add_or_update`` saves the suite again (the same quadratic
    comparison as above) and the batch definition, whatever changed.
    """
    module = gx_module()
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
        module.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )


def frame_batch_definition(context: AbstractDataContext, name: str) -> Any:
    """The whole-frame batch of suite ``name`` in the pandas datasource."""
    datasource = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole_frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole_frame")


def sql_datasource(context: AbstractDataContext, url: str) -> Any:
    """GX's SQL datasource on a lent DuckDB connection (``sql_engine.shared_catalog``)."""
    return context.data_sources.add_or_update_sql(SQL_DATASOURCE, connection_string=url)


def table_batch_definition(datasource: Any, name: str) -> Any:
    """The whole-table batch of suite ``name``: the rows written to FRAME_TABLE."""
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_table_asset(name, table_name=FRAME_TABLE)
    try:
        return asset.get_batch_definition("whole_table")
    except KeyError:
        return asset.add_batch_definition_whole_table("whole_table")
