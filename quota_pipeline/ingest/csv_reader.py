"""Read an extract CSV exactly as docs/contract.md section 1 describes it, and say where
it is damaged.

Why a module of its own: DuckDB's read_csv stays the only pass over a clean file (39M
account targets at 10M accounts), so everything that costs more (a second read for long
lines, counting lines up to a rejected record, a record scan for files with quoted
newlines or blank lines) runs only when DuckDB reports rejected records or the file's
lines and records do not match one to one. What is decided here:

- the header is read by us, not sniffed: a column named twice, a header that is not UTF-8
  or one with an unclosed quote stops the run (exit 2) with the file and line 1;
- a record with more or fewer fields than the header is a bad row ("2 fields, the header
  has 4"), never padded with nulls;
- a record that is not UTF-8, or a quote that swallows line ends, stops the run with the
  file and the physical line where the trouble starts: the rows after it cannot be
  trusted;
- fields up to FIELD_LIMIT_BYTES load; a longer field or line quarantines its own row;
- every line number is the physical line in the file (1 = header), whatever quoted
  newlines, blank lines or CRLF/CR line ends come before it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa

from quota_pipeline.errors import ExtractError

# docs/contract.md section 1: a field may hold up to 16 MiB; a longer one is a bad row.
FIELD_LIMIT_BYTES = 16 << 20
# The second read, only after DuckDB's default (2 MB) refused a line: room for a few long
# fields on one line. A larger limit makes every read slower (0.4 s -> 0.8 s at 3.9M rows),
# so the first read keeps DuckDB's default.
LONG_LINE_BYTES = 2 * FIELD_LIMIT_BYTES
# A header longer than this is not a header.
HEADER_LIMIT_BYTES = 1 << 20
# Bytes read at a time when counting line ends.
CHUNK_BYTES = 8 << 20
BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Malformed:
    """A record DuckDB could not split into the header's columns: physical line, its text
    as it stands in the file, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class _Reject:
    """One rejected record as DuckDB reports it (all its errors together)."""

    offset: int
    text: str
    kinds: frozenset[str]
    columns: str
    found: tuple[int, ...]
    detail: str


# --- the header -----------------------------------------------------------------------


def read_header(path: Path) -> list[str]:
    """The header's column names, as written; refuse what would lose or mix up a column."""
    with path.open("rb") as handle:
        data = handle.read(HEADER_LIMIT_BYTES)
    complete = len(data) < HEADER_LIMIT_BYTES
    data = data.removeprefix(BOM)
    end = _first_record_end(data, complete)
    if end is None:
        if not complete:
            raise ExtractError(f"{path}:1: the header row is longer than 1 MiB")
        raise ExtractError(f"{path}:1: a quote in the header row is never closed")
    raw = data[:end]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = 1 + _line_breaks(raw[: error.start])
        raise ExtractError(
            f"{path}:{line}: the header is not UTF-8 (byte 0x{raw[error.start]:02X}); "
            "save the file as UTF-8"
        ) from None
    names = next(_reader(io.StringIO(text, newline="")), [])
    names = [name or f"column{index}" for index, name in enumerate(names, start=1)]
    refuse_repeated_names(path, names)
    return names


def _first_record_end(data: bytes, complete: bool) -> int | None:
    """Index of the line end that closes the first record (outside quotes); the data's end
    for a file that is only a header; None when a quote stays open or the data was cut."""
    quoted = False
    for index, byte in enumerate(data):
        if byte == 0x22:
            quoted = not quoted
        elif byte in (0x0A, 0x0D) and not quoted:
            return index
    return len(data) if complete and not quoted else None


def _reader(stream: io.TextIOBase) -> Iterator[list[str]]:
    """csv.reader that accepts fields as long as DuckDB's long-line read (Python's default
    stops at 128 KiB)."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 40))
    return csv.reader(stream)


def refuse_repeated_names(path: Path, names: Sequence[str]) -> None:
    """Two columns of one name: one would silently win (DuckDB names are case-blind)."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        key = name.casefold()
        if key in seen:
            raise ExtractError(
                f"{path}:1: column {name} appears twice in the header (fields {seen[key]} "
                f"and {index}); keep one"
            )
        seen[key] = index


# --- reading into a table ---------------------------------------------------------------


def read_csv_into(
    con: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[str], table: str
) -> tuple[list[Malformed], bool, str]:
    """Materialise the file's accepted records in file order into ``table`` (text columns
    named as the header) and return: the rejected records with their physical lines,
    whether the long-line read was needed (a field may then exceed FIELD_LIMIT_BYTES), and
    the SQL expression of an accepted row's physical line (alias ``f``).

    The long-line read runs when DuckDB rejected a line as too long, or when its records do
    not add up with the file's lines: a line far over the limit was dropped without a
    reject by the default read, and the long read reports it.
    """
    max_line_size = None
    while True:
        rejects = _read(con, path, columns, table, max_line_size)
        long_line = any("LINE SIZE OVER MAXIMUM" in reject.kinds for reject in rejects)
        malformed = _interpret(path, rejects, len(columns)) if rejects else []
        rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        try:
            if long_line and max_line_size is None:
                raise RecordCountError(str(path))
            lines = accepted_lines(path, rows, malformed)
        except RecordCountError:
            if max_line_size is not None:
                raise
            con.execute(f"drop table {table}")
            max_line_size = LONG_LINE_BYTES
            continue
        return malformed, max_line_size is not None, _attach_lines(con, table, lines)


def _attach_lines(con: duckdb.DuckDBPyConnection, table: str, lines: np.ndarray | None) -> str:
    if lines is None:
        return "(f.rowid + 2)"
    con.register("record_lines", pa.table({"_record_line": pa.array(lines, pa.int64())}))
    con.execute(
        f"create or replace temp table {table} as "
        f"select * from {table} positional join record_lines"
    )
    con.unregister("record_lines")
    return "f._record_line"


class RecordCountError(ExtractError):
    """DuckDB's records and the line scan's disagree: no row may get a wrong line."""


def _read(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: Sequence[str],
    table: str,
    max_line_size: int | None,
) -> list[_Reject]:
    options = _options(columns, max_line_size)
    select_list = ", ".join(_quote(name) for name in columns)
    try:
        con.execute(
            f"create temp table {table} as select {select_list} from read_csv($path, {options})",
            {"path": str(path)},
        )
        rows = con.execute(
            "select min(line_byte_position), min(coalesce(csv_line, '')), "
            "list(distinct error_type), string_agg(distinct column_name, ', '), "
            "list(try_cast(regexp_extract(error_message, 'Found: (\\d+)', 1) as integer)), "
            "min(error_message) "
            "from reject_errors group by line order by 1"
        ).fetchall()
        con.execute("delete from reject_errors; delete from reject_scans")
    except duckdb.Error as error:
        message = (str(error).strip().splitlines() or ["read failed"])[0]
        raise ExtractError(f"{path}: unreadable ({message})") from None
    return [
        _Reject(
            offset=int(offset or 0),
            text=text,
            kinds=frozenset(kinds),
            columns=names or "",
            found=tuple(value for value in found if value is not None),
            detail=detail or "",
        )
        for offset, text, kinds, names, found, detail in rows
    ]


def _options(columns: Sequence[str], max_line_size: int | None) -> str:
    """read_csv options: no sniffing (a damaged file made the sniffer fail before any line
    was read), every column text, RFC 4180 quoting, bad records kept as rejects."""
    struct = ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in columns)
    options = (
        f"header = true, auto_detect = false, columns = {{{struct}}}, delim = ',', "
        "quote = '\"', escape = '\"', store_rejects = true, null_padding = false"
    )
    if max_line_size is not None:
        options += f", max_line_size = {max_line_size}"
    return options


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- what a rejected record means -------------------------------------------------------


def _interpret(path: Path, rejects: list[_Reject], header_fields: int) -> list[Malformed]:
    """Turn DuckDB's rejects into bad rows, or refuse the file where rows stop being
    trustworthy (not UTF-8, a quote that runs over line ends)."""
    encoding = [reject.offset for reject in rejects if "INVALID ENCODING" in reject.kinds]
    if encoding:
        _refuse_encoding(path, min(encoding))
    lines = physical_lines(path, [reject.offset for reject in rejects])
    malformed: list[Malformed] = []
    for reject, line in zip(rejects, lines, strict=True):
        text = reject.text.strip("\r\n")
        if "LINE SIZE OVER MAXIMUM" in reject.kinds:
            text = _line_text(path, reject.offset)
        if "UNQUOTED VALUE" in reject.kinds and ("\n" in text or "\r" in text):
            column = f" (column {reject.columns})" if reject.columns else ""
            raise ExtractError(
                f"{path}:{line}: a quote opened on this line{column} is not closed where "
                "the row ends, so the rows after it cannot be told apart; fix the quote"
            )
        malformed.append(Malformed(line, text, _reason(reject, text, header_fields)))
    return malformed


def _reason(reject: _Reject, text: str, header_fields: int) -> str:
    if reject.kinds & {"MISSING COLUMNS", "TOO MANY COLUMNS"}:
        fields = _field_count(text, reject)
        return f"{fields} field{'s' if fields != 1 else ''}, the header has {header_fields}"
    if "LINE SIZE OVER MAXIMUM" in reject.kinds:
        return (
            f"line is {len(text.encode('utf-8')):,} bytes long, more than the "
            f"{LONG_LINE_BYTES:,} a line may have (a field may have {FIELD_LIMIT_BYTES:,})"
        )
    if "UNQUOTED VALUE" in reject.kinds:
        column = f" in column {reject.columns}" if reject.columns else ""
        return f"stray quote{column}: a quoted field must end at a comma or the line end"
    kinds = ", ".join(sorted(kind.lower() for kind in reject.kinds))
    return f"{kinds} in column {reject.columns}" if reject.columns else kinds


def _line_text(path: Path, offset: int) -> str:
    """The whole line at ``offset`` (DuckDB's reject keeps only its first 10,000 characters
    and may point a byte into the line)."""
    parts: list[bytes] = []
    with path.open("rb") as handle:
        start = _skip_line_ends(handle, offset)
        handle.seek(max(start - 4096, 0))
        before = handle.read(start - max(start - 4096, 0))
        start -= len(before) - max(before.rfind(b"\n"), before.rfind(b"\r")) - 1
        handle.seek(start)
        while chunk := handle.read(CHUNK_BYTES):
            end = min((i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0), default=-1)
            parts.append(chunk if end < 0 else chunk[:end])
            if end >= 0:
                break
    return b"".join(parts).decode("utf-8", errors="replace")


def _field_count(text: str, reject: _Reject) -> int:
    """Fields on the record as written; DuckDB's own count when the text does not parse."""
    try:
        return len(next(_reader(io.StringIO(text, newline="")), [""]))
    except csv.Error:
        if "MISSING COLUMNS" in reject.kinds:
            return min(reject.found, default=0)
        return max(reject.found, default=0)


def _refuse_encoding(path: Path, fallback_offset: int) -> None:
    """Stop at the first line that is not UTF-8, named exactly (decoded from the start:
    DuckDB does not check the encoding of a record it rejected for another reason)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, column, previous_cr = 1, 0, False
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                data = bytes(error.object)
                before = data[: error.start]
                line += _line_breaks(before) - (previous_cr and before.startswith(b"\n"))
                last_end = max(before.rfind(b"\n"), before.rfind(b"\r"))
                column = len(before) - last_end if last_end >= 0 else column + len(before) + 1
                raise ExtractError(
                    f"{path}:{line}: not UTF-8 (byte 0x{data[error.start]:02X} at byte {column} "
                    "of the line); save the file as UTF-8"
                ) from None
            if not chunk:
                break
            line += _line_breaks(chunk) - (previous_cr and chunk.startswith(b"\n"))
            previous_cr = chunk.endswith(b"\r")
            last_end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            column = len(chunk) - last_end - 1 if last_end >= 0 else column + len(chunk)
    (line,) = physical_lines(path, [fallback_offset])
    raise ExtractError(f"{path}:{line}: not UTF-8; save the file as UTF-8")


# --- physical line numbers ------------------------------------------------------------


def _line_breaks(data: bytes) -> int:
    """Line ends in ``data``: LF, CRLF and a lone CR each end one line (as editors count)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def physical_lines(path: Path, offsets: Sequence[int]) -> list[int]:
    """The physical line (1-based) of the record starting at each byte offset.

    DuckDB may point a record at the line end before it, or at the blank lines it skipped,
    so line-end bytes at the offset are skipped first.
    """
    with path.open("rb") as handle:
        starts = [_skip_line_ends(handle, offset) for offset in offsets]
    order = sorted(range(len(starts)), key=starts.__getitem__)
    lines = [0] * len(starts)
    counted, position, previous_cr = 0, 0, False
    with path.open("rb") as handle:
        for index in order:
            target = starts[index]
            while position < target:
                chunk = handle.read(min(CHUNK_BYTES, target - position))
                if not chunk:
                    break
                counted += _line_breaks(chunk) - (previous_cr and chunk.startswith(b"\n"))
                previous_cr = chunk.endswith(b"\r")
                position += len(chunk)
            lines[index] = counted + 1
    return lines


def _skip_line_ends(handle: BinaryIO, offset: int) -> int:
    handle.seek(offset)
    window = handle.read(4096)
    return offset + len(window) - len(window.lstrip(b"\r\n"))


def accepted_lines(path: Path, rows: int, malformed: Iterable[Malformed]) -> np.ndarray | None:
    """The physical line of each accepted record, in file order; None when it is
    rowid + 2 (one line per record and nothing rejected, the fast path).

    Refuses the file when DuckDB and the line scan disagree on its records: a row must
    never be reported on the wrong line.
    """
    rejected = np.array(sorted(row.line for row in malformed), dtype=np.int64)
    records = rows + len(rejected)
    if _one_line_per_record(path, records):
        if not len(rejected):
            return None
        starts = np.arange(2, records + 2, dtype=np.int64)
    else:
        starts = record_starts(path)
    accepted = starts[~np.isin(starts, rejected)]
    if len(accepted) != rows or len(starts) != records:
        raise RecordCountError(
            f"{path}: the CSV reader found {records:,} records but a line scan {len(starts):,}; "
            "check the quoting of the file"
        )
    return accepted


def _one_line_per_record(path: Path, records: int) -> bool:
    """True when the file is the header plus one line per record: no quoted line end, no
    blank line, no lone CR. Counted in one reused buffer (0.8-1.4 s per GB)."""
    buffer = bytearray(CHUNK_BYTES)
    newlines = carriage_returns = 0
    last = b""
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            newlines += buffer.count(b"\n", 0, size)
            carriage_returns += buffer.count(b"\r", 0, size)
            last = bytes(buffer[size - 1 : size])
    if carriage_returns and carriage_returns != _crlf_count(path):
        return False
    return newlines + (0 if last == b"\n" else 1) == records + 1


def _crlf_count(path: Path) -> int:
    count, previous_cr = 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            count += chunk.count(b"\r\n") + (previous_cr and chunk.startswith(b"\n"))
            previous_cr = chunk.endswith(b"\r")
    return count


def record_starts(path: Path) -> np.ndarray:
    """Physical line on which each data record starts, by a csv pass (blank lines are no
    record, as for DuckDB). Only files with quoted line ends, blank lines or lone CRs, or
    with rejected records, pay for it."""
    starts: list[int] = []
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = _reader(handle)
        next(reader, None)
        previous_end = reader.line_num
        for row in reader:
            if row:
                starts.append(previous_end + 1)
            previous_end = reader.line_num
    return np.array(starts, dtype=np.int64)
