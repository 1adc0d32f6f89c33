"""`quota-pipeline query`: one read-only SQL statement on the published warehouse.

Analysts query while the nightly run works, so the warehouse is opened read-only (the run
publishes by renaming a new file over it, which never disturbs an open reader) and the
operations database is attached read-only as schema ``ops`` (docs/contract.md section 4). Only
reading statements run: anything else is refused with one line before it reaches DuckDB,
and file access is switched off after the attach, so a query cannot write a file with
COPY or read one from the machine. Exports stream in batches, so a large result never
sits in memory whole; CSV cells are neutralised against spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO

import duckdb

from quota_pipeline.analysis.spreadsheet import LIST_SEPARATOR, csv_row
from quota_pipeline.errors import UsageError

READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
EXPORT_FORMATS = ("table", "csv", "json", "parquet")
BATCH_ROWS = 10_000
SHORT_COLUMN = 40


class QueryRefusedError(UsageError):
    """A statement that would change something: the warehouse is read-only for analysts."""


@dataclass(frozen=True)
class Opened:
    """A read-only connection, and whether ops could be attached (a run may be writing it)."""

    connection: duckdb.DuckDBPyConnection
    ops_attached: bool


def open_read_only(warehouse: Path, ops_db: Path | None = None) -> Opened:
    """The published warehouse read-only, ops attached read-only, file access then off."""
    if not warehouse.exists():
        raise UsageError(f"{warehouse}: no published warehouse yet (run `quota-pipeline run`)")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        raise UsageError(f"{warehouse}: cannot open read-only ({_first_line(error)})") from None
    ops_attached = False
    if ops_db is not None and ops_db.exists():
        try:
            con.execute("attach $path as ops (read_only)", {"path": str(ops_db)})
            ops_attached = True
        except duckdb.Error:
            # The run is writing its run_log row this very moment: query without ops.
            ops_attached = False
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return Opened(connection=con, ops_attached=ops_attached)


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT (or EXPLAIN) statement, in one line."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as error:
        raise UsageError(f"SQL does not parse: {_first_line(error)}") from None
    if len(statements) != 1:
        raise UsageError(f"give exactly one SQL statement (got {len(statements)})")
    kind = statements[0].type
    if kind not in READ_STATEMENTS:
        raise QueryRefusedError(
            f"refused: {kind.name} statement; the published warehouse is read-only "
            "(only SELECT and EXPLAIN run here)"
        )


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """Run a checked statement; the column names of its result."""
    check_read_only(con, sql)
    try:
        con.execute(sql)
    except duckdb.Error as error:
        raise UsageError(f"query failed: {_first_line(error)}") from None
    return [column[0] for column in con.description or []]


def batches(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[object, ...]]]:
    """The pending result, BATCH_ROWS rows at a time."""
    while rows := con.fetchmany(BATCH_ROWS):
        yield rows


def write_csv(con: duckdb.DuckDBPyConnection, columns: Sequence[str], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_row(columns))
    count = 0
    for rows in batches(con):
        writer.writerows(csv_row(row) for row in rows)
        count += len(rows)
    return count


def write_json(con: duckdb.DuckDBPyConnection, columns: Sequence[str], out: IO[str]) -> int:
    """A JSON array of objects; money as numbers, dates as ISO text, lists as arrays."""
    count = 0
    out.write("[")
    for rows in batches(con):
        for row in rows:
            out.write(",\n" if count else "\n")
            out.write(json.dumps(dict(zip(columns, row, strict=True)), default=_json_value))
            count += 1
    out.write("\n]\n")
    return count


def write_parquet(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> int:
    """Stream a checked statement's result into a Parquet file, batch by batch."""
    import pyarrow.parquet as pq

    check_read_only(con, sql)
    try:
        reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    except duckdb.Error as error:
        raise UsageError(f"query failed: {_first_line(error)}") from None
    count = 0
    with pq.ParquetWriter(str(target), reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            count += batch.num_rows
    return count


def export_parquet(con: duckdb.DuckDBPyConnection, sql: str, output: Path | None) -> int:
    if output is None:
        raise UsageError("--format parquet needs --output FILE")
    return _to_file(output, lambda path: write_parquet(con, sql, path))


def export(
    con: duckdb.DuckDBPyConnection, columns: Sequence[str], fmt: str, output: Path | None
) -> int:
    """Write the pending result as csv or json, to ``output`` or stdout."""
    writer = write_csv if fmt == "csv" else write_json
    if output is None:
        return writer(con, columns, sys.stdout)

    def write_text(path: Path) -> int:
        with path.open("w", encoding="utf-8", newline="") as handle:
            return writer(con, columns, handle)

    return _to_file(output, write_text)


def _to_file(output: Path, write: object) -> int:
    """Write beside ``output`` and rename, so a failed export leaves no half file."""
    partial = output.with_name(output.name + ".partial")
    try:
        count = write(partial)  # type: ignore[operator]
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UsageError(f"{output}: cannot write ({error.strerror})") from None
    return count


# Whole numbers that name or count something rather than amount to it: shown as written
# (fiscal_year 2027, source_line 77563), never with a thousands separator.
IDENTIFIER_COLUMN = re.compile(r"(^|_)(id|year|line|rank|depth|level|code|number|no)s?$")


def is_identifier(column: str) -> bool:
    return bool(IDENTIFIER_COLUMN.search(column.lower()))


def display_value(value: object, column: str = "") -> str:
    """A value as the terminal table shows it: amounts with thousands separators, doubles
    to two decimals from 1,000 up and four significant digits below, identifiers and
    years as written."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(display_value(item) for item in value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 1e15:
            return str(value)
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, Decimal | int):
        return str(value) if is_identifier(column) else f"{value:,}"
    return str(value)


def is_numeric(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def print_result(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    max_rows: int,
    console: object,
    *,
    terminal: bool | None = None,
) -> int:
    """An aligned table of at most ``max_rows`` rows (numbers right-aligned); rows shown.

    No column is ever cut: off a terminal (a pipe, a file) the table takes the width it
    needs. On a terminal, long text (reasons, levers) wraps inside its cell; when even
    that does not fit, each row is shown as a block of "column value" lines and a note on
    stderr points to --format csv.
    """
    rows = con.fetchmany(max_rows + 1)
    more = len(rows) > max_rows
    rows = rows[:max_rows]
    shown = [
        [display_value(value, name) for value, name in zip(row, columns, strict=True)]
        for row in rows
    ]
    widths = [
        max([len(name), *(len(row[index]) for row in shown)]) for index, name in enumerate(columns)
    ]
    borders = 3 * len(widths) + 1  # rich's borders and padding
    needed = sum(widths) + borders
    # long text may wrap inside its cell, down to SHORT_COLUMN characters a line
    folded = sum(min(w, SHORT_COLUMN) if w > SHORT_COLUMN else w for w in widths) + borders
    if terminal is None:
        terminal = console.is_terminal  # type: ignore[attr-defined]
    width = console.width  # type: ignore[attr-defined]
    if not terminal:
        console.width = max(needed, width)  # type: ignore[attr-defined]
    if terminal and folded > width:
        print(
            f"quota-pipeline: {len(columns)} columns need {needed} characters, the terminal "
            f"has {width}: one block per row (use --format csv for one line per row)",
            file=sys.stderr,
        )
        _print_blocks(console, columns, shown)
    else:
        _print_table(console, columns, rows, shown, wrap=terminal and needed > width)
    footer = f"{len(rows):,} row{'s' if len(rows) != 1 else ''}"
    if more:
        footer += " shown; more rows follow (raise --max-rows or use --format csv --output FILE)"
    console.print(footer, style="dim")  # type: ignore[attr-defined]
    return len(rows)


def _print_table(
    console: object,
    columns: Sequence[str],
    rows: Sequence[tuple[object, ...]],
    shown: Sequence[Sequence[str]],
    *,
    wrap: bool,
) -> None:
    """Short columns never wrap; with ``wrap`` long text folds inside its cell."""
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for index, name in enumerate(columns):
        numeric = any(is_numeric(row[index]) for row in rows)
        long_text = max((len(row[index]) for row in shown), default=0) > SHORT_COLUMN
        table.add_column(
            name,
            justify="right" if numeric else "left",
            no_wrap=not (wrap and long_text),
            overflow="fold",
            min_width=SHORT_COLUMN if wrap and long_text else None,
        )
    for row in shown:
        table.add_row(*row)
    console.print(table)  # type: ignore[attr-defined]


def _print_blocks(console: object, columns: Sequence[str], shown: Sequence[Sequence[str]]) -> None:
    """Each row as two columns, name and value: as wide as the longest name, so it fits."""
    from rich.table import Table

    for number, row in enumerate(shown, start=1):
        table = Table(title=f"row {number}", title_justify="left", show_header=False)
        table.add_column("column", style="bold", no_wrap=True)
        table.add_column("value", overflow="fold")
        for name, value in zip(columns, row, strict=True):
            table.add_row(name, value)
        console.print(table)  # type: ignore[attr-defined]
