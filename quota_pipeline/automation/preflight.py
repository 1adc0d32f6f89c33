"""Checks made before a run starts, so that bad usage and unreadable input exit with 2.

Cheap on purpose: the policy, the warehouse engine's name, each extract's one file, its
header, and whether it has a data row. Row-level rules are the ingest assets' job; this
only refuses what cannot be loaded at all, before any Dagster run or build file exists.
"""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
from pyarrow import ArrowException

from quota_pipeline.errors import ExtractError
from quota_pipeline.ingest.files import ExtractFile, check_header, header_columns, locate_extract
from quota_pipeline.ingest.specs import EXTRACTS
from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.settings import Settings, dbt_target


def preflight(settings: Settings) -> tuple[Policy, list[ExtractFile]]:
    policy = load_policy(settings.policy_file)
    dbt_target()  # an unknown QUOTA_DBT_TARGET is refused here, in one line
    files: list[ExtractFile] = []
    with duckdb.connect() as con:
        for spec in EXTRACTS:
            extract = locate_extract(settings.extracts_dir, spec)
            if extract is None:  # an optional extract without a file
                continue
            check_header(extract, header_columns(con, extract))
            if not spec.may_be_empty and not _has_data_row(extract):
                raise ExtractError(f"{extract.path}: extract has no rows")
            files.append(extract)
    return policy, files


def _has_data_row(extract: ExtractFile) -> bool:
    if extract.is_parquet:
        try:
            return pq.ParquetFile(extract.path).metadata.num_rows > 0
        except (OSError, ArrowException) as error:  # DuckDB read the footer, Arrow did not
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ExtractError(f"{extract.path}: unreadable ({first})") from None
    with extract.path.open("rb") as handle:
        handle.readline()
        return any(line.strip() for line in iter(handle.readline, b""))
