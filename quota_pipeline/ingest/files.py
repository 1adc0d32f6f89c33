"""Find and read extract files: which file, which columns, which physical line each row is on.

Kept apart from the rule checks because it is all about the file itself: the contract
(docs/contract.md) wants exactly one of `<extract>.csv` / `<extract>.parquet`, confined to
the extracts folder (an optional extract may have neither), and every rejected row named
by its line in the file, even when quoted fields span lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from pyarrow import ArrowException

from quota_pipeline.errors import ExtractError
from quota_pipeline.ingest.csv_reader import read_header, refuse_repeated_names
from quota_pipeline.ingest.specs import ExtractSpec


@dataclass(frozen=True)
class ExtractFile:
    spec: ExtractSpec
    path: Path

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix == ".parquet"


def find_extract_file(extracts_dir: Path, spec: ExtractSpec) -> ExtractFile:
    """The one file of an extract; refuse none, both, or a path outside the folder."""
    root = extracts_dir.resolve()
    if not root.is_dir():
        raise ExtractError(f"{extracts_dir}: extracts folder does not exist")
    candidates = [root / f"{spec.name}.{suffix}" for suffix in ("csv", "parquet")]
    present = [path for path in candidates if path.exists() or path.is_symlink()]
    if not present:
        raise ExtractError(f"{root / spec.name}.csv: extract file is missing (.csv or .parquet)")
    if len(present) > 1:
        raise ExtractError(
            f"{present[0]}: both {spec.name}.csv and {spec.name}.parquet exist; keep exactly one"
        )
    path = present[0]
    resolved = path.resolve()
    if resolved.parent != root:
        raise ExtractError(f"{path}: points outside the extracts folder ({resolved}); refused")
    if not resolved.is_file():
        raise ExtractError(f"{path}: not a regular file")
    return ExtractFile(spec=spec, path=resolved)


def locate_extract(extracts_dir: Path, spec: ExtractSpec) -> ExtractFile | None:
    """The extract's one file, or None for an optional extract without one (no overrides);
    every other case as find_extract_file (a required extract's missing file is refused)."""
    if spec.optional and not any(
        (path.exists() or path.is_symlink())
        for path in (extracts_dir / f"{spec.name}.{suffix}" for suffix in ("csv", "parquet"))
    ):
        if not extracts_dir.resolve().is_dir():
            raise ExtractError(f"{extracts_dir}: extracts folder does not exist")
        return None
    return find_extract_file(extracts_dir, spec)


def header_columns(con: duckdb.DuckDBPyConnection, extract: ExtractFile) -> list[str]:
    """Column names as the file declares them; unreadable files end in ExtractError.

    A CSV header is read as written (ingest/csv_reader.py), not sniffed: the sniffer
    renamed a repeated column and failed on a damaged line far below the header.
    """
    if not extract.is_parquet:
        if extract.path.stat().st_size == 0:
            raise ExtractError(f"{extract.path}:1: file is empty (no header row)")
        return read_header(extract.path)
    try:
        relation = con.sql(
            "select * from read_parquet($path) limit 0", params={"path": str(extract.path)}
        )
        columns = list(relation.columns)
        names = pq.read_schema(extract.path).names
    except (duckdb.Error, OSError, ArrowException) as error:
        raise ExtractError(f"{extract.path}: unreadable ({_first_line(error)})") from None
    refuse_repeated_names(extract.path, names)
    return columns


def check_header(extract: ExtractFile, columns: list[str]) -> None:
    missing = [name for name in extract.spec.column_names if name not in columns]
    if missing:
        # " period" or "Period" is not period: say what the header has instead
        near = {column.strip().casefold(): column for column in columns}
        written = [f'"{near[name]}"' for name in missing if name in near]
        hint = f" (the header has {', '.join(written)})" if written else _delimiter_hint(columns)
        raise ExtractError(
            f"{extract.path}:1: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}{hint}"
        )


def _delimiter_hint(columns: list[str]) -> str:
    """A header read as one column is usually another delimiter (a spreadsheet's ;)."""
    if len(columns) != 1:
        return ""
    found = next((name for name, char in DELIMITERS.items() if char in columns[0]), None)
    return f" (the header is one column: fields separated by {found}, not commas?)" if found else ""


DELIMITERS = {"semicolons": ";", "tabs": "\t", "pipes": "|"}


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
