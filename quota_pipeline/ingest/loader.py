"""Load one extract into raw.<extract> and put every row that breaks a rule in dq.quarantine.

The contract wants bad rows neither dropped nor fixed: raw.<extract> keeps every row the
file holds, as text, with ``_is_quarantined`` and ``_quarantine_reason``; dq.quarantine
lists the rejected ones with a readable reason. The rules come from the extract specs and
run as one DuckDB query per extract, so 10M rows are checked without leaving the engine.
Values are always bound as parameters; identifiers come only from the specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from quota_pipeline.errors import ExtractError
from quota_pipeline.ingest.csv_reader import (
    FIELD_LIMIT_BYTES,
    Malformed,
    read_csv_into,
)
from quota_pipeline.ingest.files import ExtractFile, check_header, header_columns
from quota_pipeline.ingest.hierarchy import territory_problems
from quota_pipeline.ingest.specs import SPECS, Column, ExtractSpec
from quota_pipeline.policy import Policy

QUARANTINE_DDL = """
create schema if not exists dq;
create table if not exists dq.quarantine (
    extract varchar not null,
    source_file varchar,
    source_line bigint,
    record_key varchar,
    reason varchar not null,
    record varchar,
    loaded_at timestamp not null
)
"""

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
INTEGER_PATTERN = r"^-?[0-9]+$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


@dataclass(frozen=True)
class LoadResult:
    """What one extract load did, for metadata, the run log and the quarantine check."""

    extract: str
    source_file: str
    rows: int
    quarantined: int
    sample_reasons: tuple[str, ...]

    @property
    def quarantine_share(self) -> float:
        return self.quarantined / self.rows if self.rows else 0.0


def q(identifier: str) -> str:
    """Quote an identifier from a spec (never from data)."""
    return '"' + identifier.replace('"', '""') + '"'


def load_extract(
    con: duckdb.DuckDBPyConnection,
    extract: ExtractFile,
    policy: Policy,
    loaded_at: datetime,
) -> LoadResult:
    """Read the file, check every rule, write raw.<extract> and its quarantine rows."""
    spec = extract.spec
    con.execute("create schema if not exists raw")
    con.execute(QUARANTINE_DDL)
    columns = header_columns(con, extract)
    check_header(extract, columns)
    file_table = f"file_{spec.name}"
    rejected, long_fields, line = _read_into(con, extract, columns, file_table)
    rows = con.execute(f"select count(*) from {file_table}").fetchall()[0][0]
    if rows + len(rejected) == 0 and not spec.may_be_empty:
        raise ExtractError(f"{extract.path}: extract has no rows")
    checked_sql, params = _checked_select(
        spec, columns, file_table, line, policy, long_fields=long_fields
    )
    con.execute(f"drop table if exists raw.{q(spec.name)}")
    params = {**params, "source_file": extract.path.name, "loaded_at": loaded_at}
    con.execute(f"create table raw.{q(spec.name)} as {checked_sql}", _used(checked_sql, params))
    con.execute(f"drop table {file_table}")
    if spec.name == "territories":
        _quarantine_hierarchy_problems(con)
    _write_quarantine(con, spec, extract.path.name, rejected, loaded_at)
    return _summarise(con, spec, extract.path.name, len(rejected))


def load_absent_extract(
    con: duckdb.DuckDBPyConnection, spec: ExtractSpec, policy: Policy, loaded_at: datetime
) -> LoadResult:
    """An optional extract without a file: an empty raw.<extract> of exactly the shape a
    loaded file gives (the same checked select over no rows), so dbt's source exists."""
    con.execute("create schema if not exists raw")
    con.execute(QUARANTINE_DDL)
    file_table = f"file_{spec.name}"
    select_list = ", ".join(f"cast(null as varchar) as {q(name)}" for name in spec.column_names)
    con.execute(f"create or replace temp table {file_table} as select {select_list} limit 0")
    checked_sql, params = _checked_select(
        spec, list(spec.column_names), file_table, "(f.rowid + 2)", policy
    )
    con.execute(f"drop table if exists raw.{q(spec.name)}")
    params = {**params, "source_file": "", "loaded_at": loaded_at}
    con.execute(f"create table raw.{q(spec.name)} as {checked_sql}", _used(checked_sql, params))
    con.execute(f"drop table {file_table}")
    con.execute("delete from dq.quarantine where extract = $extract", {"extract": spec.name})
    return LoadResult(spec.name, "", rows=0, quarantined=0, sample_reasons=())


def _read_into(
    con: duckdb.DuckDBPyConnection, extract: ExtractFile, columns: list[str], table: str
) -> tuple[list[Malformed], bool, str]:
    """Materialise the file in file order; return its malformed CSV records (physical line,
    text, reason), whether a field may exceed the field limit, and the SQL of a row's
    physical line (ingest/csv_reader.py)."""
    if not extract.is_parquet:
        return read_csv_into(con, extract.path, columns, table)
    select_list = ", ".join(f"cast({q(name)} as varchar) as {q(name)}" for name in columns)
    try:
        con.execute(
            f"create temp table {table} as select {select_list}, "
            "file_row_number + 1 as _record_line from read_parquet($path, file_row_number = true)"
            " order by file_row_number",
            {"path": str(extract.path)},
        )
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "read failed"
        raise ExtractError(f"{extract.path}: unreadable ({message})") from None
    return [], False, "f._record_line"


def _checked_select(
    spec: ExtractSpec,
    columns: list[str],
    table: str,
    line: str,
    policy: Policy,
    *,
    long_fields: bool = False,
) -> tuple[str, dict[str, object]]:
    """One select that keeps every column and computes the row's rule breaks.

    ``long_fields``: the file needed the long-line read, so a field may be longer than
    docs/contract.md section 1 allows; only then is every field's length checked.
    """
    params: dict[str, object] = {
        "max_money": policy.max_money_amount,
        "corporate": policy.corporate_currency,
    }
    rules: list[str] = []
    if long_fields:
        rules.extend(_field_length_rule(name) for name in columns)
    for column in spec.columns:
        rules.extend(_column_rules(spec, column))
    duplicate_join, duplicate_rule = _duplicate_rule(spec, table)
    rules.append(duplicate_rule)
    joins: list[str] = [duplicate_join]
    for index, reference in enumerate(spec.references):
        if reference.extract == spec.name:
            continue  # self-references (the territory tree) are checked in hierarchy.py
        alias = f"ref{index}"
        target = SPECS[reference.extract]
        joins.append(
            f"left join (select distinct {q(reference.key)} as ref_key from raw.{q(target.name)} "
            f"where not _is_quarantined) {alias} on {alias}.ref_key = f.{q(reference.column)}"
        )
        rules.append(
            f"case when f.{q(reference.column)} is not null and {alias}.ref_key is null then "
            f"'{reference.column} ' || {shown(f'f.{q(reference.column)}')} || ' is not a known "
            f"{_singular(reference.extract)}' end"
        )
    currency_join = ""
    if any(column.type == "currency" for column in spec.columns) and spec.name != "fx_rates":
        currency_join = (
            "left join (select distinct currency_iso as known_currency from raw.fx_rates "
            "where not _is_quarantined) fx on fx.known_currency = f.currency_iso"
        )
        rules.append(
            "case when f.currency_iso is not null and fx.known_currency is null "
            "and f.currency_iso <> $corporate then 'currency_iso ' || "
            f"{shown('f.currency_iso')} || ' has no rate in fx_rates' end"
        )
    if spec.name == "fiscal_periods":
        rules.append(_period_rules(table))
    keep = ", ".join(f"f.{q(name)}" for name in columns)
    key_text = " || '|' || ".join(f"coalesce(f.{q(name)}, '')" for name in spec.key)
    # a line that repeats the header is that and nothing else (no list of type errors)
    reason = (
        f"coalesce({_repeated_header_rule(columns)}, "
        f"nullif(concat_ws('; ', {', '.join(rules)}), ''))"
    )
    sql = f"""
        with checked as (
            select {keep}, {line} as _record_line, {key_text} as _record_key, {reason} as _reason
            from {table} f
            {" ".join(joins)}
            {currency_join}
        )
        select * exclude (_record_line, _record_key, _reason),
            $source_file as _source_file,
            _record_line as _source_line,
            cast($loaded_at as timestamp) as _loaded_at,
            _reason is not null as _is_quarantined,
            _reason as _quarantine_reason,
            -- only quarantined rows need their key spelled out (dq.quarantine, GX notes);
            -- on every accepted row it would repeat the key columns (39M strings at 10M)
            case when _reason is not null then _record_key end as _record_key
        from checked
    """
    return sql, params


# A value is shown as it stands in the file: as is when it is words separated by single
# spaces, otherwise in double quotes with \" \\ \n \r \t and \uXXXX for other control,
# format and space characters (" 1300000 " is not 1300000). Evaluated on failing rows only.
PLAIN_VALUE = r"[^\s\pZ\pC\"\\]+( [^\s\pZ\pC\"\\]+)*"
SHOWN_CHARACTER = (
    "case when c = '\\' then '\\\\' when c = '\"' then '\\\"' when c = chr(10) then '\\n' "
    "when c = chr(13) then '\\r' when c = chr(9) then '\\t' "
    "when c <> ' ' and regexp_full_match(c, '[\\pZ\\pC]') "
    "then '\\u' || lpad(lower(hex(unicode(c))), 4, '0') else c end"
)


def shown(ref: str) -> str:
    """SQL for the value of ``ref`` as a reason quotes it (see PLAIN_VALUE)."""
    return (
        f"(case when regexp_full_match({ref}, '{PLAIN_VALUE}') then {ref} else "
        f"'\"' || array_to_string(list_transform(string_split({ref}, ''), "
        f"lambda c: {SHOWN_CHARACTER}), '') || '\"' end)"
    )


def _repeated_header_rule(columns: Sequence[str]) -> str:
    """A data line equal to the header (two exports glued together) is not a row."""
    same = " and ".join(f"f.{q(name)} is not distinct from {_sql_text(name)}" for name in columns)
    return f"case when {same} then 'the line repeats the header' end"


def _field_length_rule(name: str) -> str:
    ref = f"f.{q(name)}"
    return (
        f"case when strlen({ref}) > {FIELD_LIMIT_BYTES} then {_sql_text(name)} || ' is ' || "
        f"format('{{:,}}', strlen({ref})) || ' bytes long, more than the "
        f"{FIELD_LIMIT_BYTES:,} a field may have' end"
    )


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _used(sql: str, params: dict[str, object]) -> dict[str, object]:
    """DuckDB refuses unused named parameters: keep those the statement names."""
    return {name: value for name, value in params.items() if f"${name}" in sql}


def _column_rules(spec: ExtractSpec, column: Column) -> list[str]:
    ref = f"f.{q(column.name)}"
    value = shown(ref)
    name = column.name
    rules: list[str] = []
    if column.required:
        rules.append(f"case when {ref} is null then '{name} is empty (required)' end")
    if column.not_blank:
        rules.append(
            f"case when {ref} is not null and trim({ref}) = '' then "
            f"'{name} is blank (required)' end"
        )
    pattern = {
        "decimal": (DECIMAL_PATTERN, "a decimal number"),
        "integer": (INTEGER_PATTERN, "a whole number"),
        "date": (DATE_PATTERN, "a date (YYYY-MM-DD)"),
        "currency": (CURRENCY_PATTERN, "a 3-letter currency code"),
    }.get(column.type)
    if pattern:
        regex, meaning = pattern
        valid = f"regexp_full_match({ref}, '{regex}')"
        if column.type == "date":
            valid = f"({valid} and try_strptime({ref}, '%Y-%m-%d') is not null)"
        rules.append(
            f"case when {ref} is not null and not {valid} then "
            f"'{name} ' || {value} || ' is not {meaning}' end"
        )
    if column.enum:
        allowed = ", ".join(column.enum)
        values = ", ".join(f"'{value}'" for value in column.enum)
        rules.append(
            f"case when {ref} is not null and {ref} not in ({values}) then "
            f"'{name} ' || {value} || ' is not one of {allowed}' end"
        )
    if column.type == "decimal":
        number = f"try_cast(case when regexp_full_match({ref}, '{DECIMAL_PATTERN}') then {ref} end as double)"
        if column.money:
            rules.append(f"case when {number} < 0 then '{name} ' || {value} || ' is negative' end")
            rules.append(
                f"case when {number} > $max_money then '{name} ' || {value} || "
                "' exceeds the policy limit max_money_amount' end"
            )
        if column.positive:
            rules.append(f"case when {number} <= 0 then '{name} ' || {value} || ' must be > 0' end")
    return rules


def repeated_keys_sql(table: str, key: Sequence[str], where: str = "true") -> str:
    """The keys that more than one row of ``table`` (rows matching ``where``) has, each
    with its row count as ``key_rows``; a null key part counts as one value.

    Two passes, both cheaper than the obvious group-by of the key columns, which at 10M
    accounts held 30M distinct (account_id, period) strings and spilled (6-14 s): the rows
    are first grouped by a 64-bit hash of the key, which finds the few candidate keys; only
    the rows with a candidate hash are then grouped by the key itself, so a hash collision
    never reports a key that is not repeated.
    """
    keys = ", ".join(q(name) for name in key)
    return (
        f"select {keys}, count(*) as key_rows from {table} "
        f"where ({where}) and hash({keys}) in (select hash({keys}) from {table} "
        f"where {where} group by 1 having count(*) > 1) "
        f"group by {keys} having count(*) > 1"
    )


def _duplicate_rule(spec: ExtractSpec, table: str) -> tuple[str, str]:
    """A join counting the rows of each key that occurs more than once, and its rule.

    The repeated keys (few) are found apart and joined back; a window count over every row
    (the obvious form) sorted all 39M account targets at 10M accounts: 11 s of the 18 s
    rule check. Null keys compare equal, as in a window partition.
    """
    matches = " and ".join(f"dup.{q(name)} is not distinct from f.{q(name)}" for name in spec.key)
    join = f"left join ({repeated_keys_sql(table, spec.key)}) dup on {matches}"
    label = ", ".join(spec.key)
    rule = (
        f"case when dup.key_rows is not null then "
        f"'duplicate key ({label}): ' || dup.key_rows || ' rows share it' end"
    )
    return join, rule


def _period_rules(table: str) -> str:
    """start <= end, and periods of one fiscal year must not overlap (naming the other one)."""
    overlapping = (
        f"(select min(o.period) from {table} o where o.fiscal_year = f.fiscal_year "
        "and o.period <> f.period "
        "and try_cast(o.start_date as date) <= try_cast(f.end_date as date) "
        "and try_cast(f.start_date as date) <= try_cast(o.end_date as date))"
    )
    return (
        "case when try_cast(f.start_date as date) > try_cast(f.end_date as date) "
        "then 'start_date ' || f.start_date || ' is after end_date ' || f.end_date "
        f"when {overlapping} is not null "
        "then 'start_date..end_date ' || f.start_date || '..' || f.end_date || "
        f"' overlaps period ' || {overlapping} || ' of fiscal year ' || f.fiscal_year end"
    )


def _quarantine_hierarchy_problems(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select territory_id, parent_territory_id, _is_quarantined from raw.territories"
    ).fetchall()
    problems = territory_problems(rows)
    if not problems:
        return
    con.register(
        "hierarchy_problems",
        pa.table({"territory_id": list(problems), "problem": list(problems.values())}),
    )
    con.execute(
        """
        update raw.territories t
        set _is_quarantined = true,
            _quarantine_reason = concat_ws('; ', t._quarantine_reason, p.problem),
            _record_key = coalesce(t.territory_id, '')
        from hierarchy_problems p
        where t.territory_id = p.territory_id and not t._is_quarantined
        """
    )
    con.unregister("hierarchy_problems")


def recheck_rows(
    con: duckdb.DuckDBPyConnection,
    spec: ExtractSpec,
    table: str,
    policy: Policy,
    source_file: str,
    loaded_at: datetime,
) -> None:
    """Apply every rule again to the rows of ``table`` and put the result in raw.<extract>
    and dq.quarantine in place of the rows on the same lines, as a load of the edited file
    would have written them (a what-if scenario's changed rows).

    ``table`` holds an extract's text columns plus ``_record_line``, and every row of the
    extract that shares a key with one of its rows (so the duplicate-key rule counts right);
    references are checked against the raw tables, as at load time. Territories are never
    re-checked this way: their hierarchy rule looks at the whole tree.
    """
    if spec.name == "territories":
        raise ValueError("territories are checked as a whole tree; reload the extract")
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from (describe select * from " + table + ")"
        ).fetchall()
        if name != "_record_line"
    ]
    checked_sql, params = _checked_select(spec, columns, table, "f._record_line", policy)
    params = {**params, "source_file": source_file, "loaded_at": loaded_at}
    raw = f"raw.{q(spec.name)}"
    lines = f"(select _record_line from {table})"
    con.execute(f"delete from {raw} where _source_line in {lines}")
    con.execute(f"insert into {raw} by name {checked_sql}", _used(checked_sql, params))
    con.execute(
        "delete from dq.quarantine where extract = $extract and record_key is not null "
        f"and source_line in {lines}",
        {"extract": spec.name},
    )
    _quarantine_rule_breaks(con, spec, f"_source_line in {lines}")


def _quarantine_rule_breaks(
    con: duckdb.DuckDBPyConnection, spec: ExtractSpec, where: str = "true"
) -> None:
    """dq.quarantine rows for the rows of raw.<extract> (matching ``where``) that break a rule."""
    record = (
        "to_json(struct_pack(" + ", ".join(f"{q(n)} := {q(n)}" for n in spec.column_names) + "))"
    )
    con.execute(
        f"""
        insert into dq.quarantine
        select $extract, _source_file, _source_line, _record_key, _quarantine_reason,
               cast({record} as varchar), _loaded_at
        from raw.{q(spec.name)} where _is_quarantined and ({where})
        """,
        {"extract": spec.name},
    )


def _write_quarantine(
    con: duckdb.DuckDBPyConnection,
    spec: ExtractSpec,
    source_file: str,
    rejected: list[Malformed],
    loaded_at: datetime,
) -> None:
    con.execute("delete from dq.quarantine where extract = $extract", {"extract": spec.name})
    _quarantine_rule_breaks(con, spec)
    if rejected:
        # one insert from an Arrow table: a file where most lines are malformed has millions
        con.register(
            "malformed_rows",
            pa.table(
                {
                    "line": pa.array([row.line for row in rejected], pa.int64()),
                    "reason": [row.reason for row in rejected],
                    "text": [row.text for row in rejected],
                }
            ),
        )
        con.execute(
            "insert into dq.quarantine select $extract, $source_file, line, null, reason, "
            "text, cast($loaded_at as timestamp) from malformed_rows",
            {"extract": spec.name, "source_file": source_file, "loaded_at": loaded_at},
        )
        con.unregister("malformed_rows")


def _summarise(
    con: duckdb.DuckDBPyConnection, spec: ExtractSpec, source_file: str, malformed: int
) -> LoadResult:
    rows, quarantined = con.execute(
        f"select count(*), count(*) filter (where _is_quarantined) from raw.{q(spec.name)}"
    ).fetchall()[0]
    samples = con.execute(
        "select source_file || ':' || source_line || ': ' || reason from dq.quarantine "
        "where extract = $extract order by source_line limit 5",
        {"extract": spec.name},
    ).fetchall()
    return LoadResult(
        extract=spec.name,
        source_file=source_file,
        rows=rows + malformed,
        quarantined=quarantined + malformed,
        sample_reasons=tuple(sample[0] for sample in samples),
    )


def _singular(extract: str) -> str:
    return {
        "sellers": "seller",
        "accounts": "account",
        "territories": "territory",
        "fiscal_periods": "period",
    }.get(extract, extract)


def load_all(
    con: duckdb.DuckDBPyConnection, extracts_dir: Path, policy: Policy, loaded_at: datetime
) -> list[LoadResult]:
    """Load every extract in dependency order (tests and benchmarks; Dagster runs assets)."""
    from quota_pipeline.ingest.files import locate_extract
    from quota_pipeline.ingest.specs import EXTRACTS

    results = []
    for spec in EXTRACTS:
        extract = locate_extract(extracts_dir, spec)
        if extract is None:
            results.append(load_absent_extract(con, spec, policy, loaded_at))
        else:
            results.append(load_extract(con, extract, policy, loaded_at))
    return results
