"""Apply a ChangeSet to the raw tables of a scenario file and re-check them with the ingest rules.

A scenario starts from the published run's raw tables, which keep every extract row as
text with its line. A change edits those rows as a planner would edit the extract file: an
update keeps the row's line, a new row goes after the file's last line. The edited extract
then goes through the very rule check of ingest (quota_pipeline/ingest/loader.py,
``recheck_rows``), so raw.* and dq.quarantine come out as a nightly load of the edited
files would write them. A change row that breaks a rule stops the scenario with the rule's
own reason, naming the change. Only the rows whose status a change can alter are checked
again: the changed rows (with every row sharing their key), and the quarantined rows of an
extract that references one whose accepted keys grew (a quota quarantined as "not a known
seller" is accepted once the scenario hires that seller). At 100k accounts a full re-check
of the accounts extract cost 1.5 s of a scenario's budget; these few rows cost
milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import duckdb

from quota_pipeline.ingest.loader import q, recheck_rows
from quota_pipeline.ingest.specs import EXTRACTS, SPECS, ExtractSpec
from quota_pipeline.policy import Policy
from quota_pipeline.scenarios.changes import Change, ChangeError, ChangeSet

UNKNOWN_REFERENCE = re.compile(r"^\w+ (.+) is not a known (\w+)$")
METADATA_COLUMNS = (
    "_source_file",
    "_source_line",
    "_loaded_at",
    "_is_quarantined",
    "_quarantine_reason",
    "_record_key",
)


@dataclass(frozen=True)
class Applied:
    """What applying the changes did: extracts checked again, and notes for the planner."""

    rechecked: tuple[str, ...]
    notes: tuple[str, ...]
    lines: dict[str, int]  # change label -> raw line it wrote


def apply_changes(con: duckdb.DuckDBPyConnection, changes: ChangeSet, policy: Policy) -> Applied:
    """Edit raw.* of ``con`` by ``changes``, re-check them; ChangeError on a bad change."""
    grown: set[str] = set()
    rechecked: list[str] = []
    lines: dict[str, int] = {}
    for spec in EXTRACTS:
        edits = [change for change in changes.changes if change.kind.extract == spec.name]
        references_grown = any(
            ref.extract in grown for ref in spec.references if ref.extract != spec.name
        )
        quarantined_again = references_grown and _has_quarantined(con, spec)
        if not edits and not quarantined_again:
            continue
        _ensure_raw_table(con, spec, policy)
        accepted_before = _accepted(con, spec)
        source_file, loaded_at = _provenance(con, spec)
        table = _rows_to_check(con, spec, [change.key() for change in edits], quarantined_again)
        next_line = _next_line(con, spec)
        for change in edits:
            lines[change.label] = _apply_one(con, table, change, changes.source, next_line)
            next_line = max(next_line, lines[change.label] + 1)
        recheck_rows(con, spec, table, policy, source_file, loaded_at)
        con.execute(f"drop table {table}")
        rechecked.append(spec.name)
        _raise_broken_change(con, spec, changes, lines)
        if _accepted(con, spec) > accepted_before:
            grown.add(spec.name)
    return Applied(rechecked=tuple(rechecked), notes=tuple(_notes(con, changes)), lines=lines)


def _has_quarantined(con: duckdb.DuckDBPyConnection, spec: ExtractSpec) -> bool:
    if not _exists(con, f"raw.{spec.name}"):
        return False
    found = con.execute(f"select 1 from raw.{q(spec.name)} where _is_quarantined limit 1")
    return bool(found.fetchall())


def _accepted(con: duckdb.DuckDBPyConnection, spec: ExtractSpec) -> int:
    return con.execute(
        f"select count(*) from raw.{q(spec.name)} where not _is_quarantined"
    ).fetchall()[0][0]


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = $schema and table_name = $name",
            {"schema": schema, "name": name},
        ).fetchall()[0][0]
    )


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, spec: ExtractSpec, policy: Policy) -> None:
    """An optional extract the published run had no file for: its empty raw table."""
    if _exists(con, f"raw.{spec.name}"):
        return
    from quota_pipeline.ingest import loader

    absent = getattr(loader, "load_absent_extract", None)
    if absent is None:  # pragma: no cover - every extract of this code base has a raw table
        raise ChangeError(f"raw.{spec.name} is not in the published warehouse")
    absent(con, spec, policy, _any_loaded_at(con))


def _any_loaded_at(con: duckdb.DuckDBPyConnection) -> datetime:
    return con.execute("select max(_loaded_at) from raw.fiscal_periods").fetchall()[0][0]


def _provenance(con: duckdb.DuckDBPyConnection, spec: ExtractSpec) -> tuple[str, datetime]:
    """The file name and load time the published rows carry (every row of a load shares them).

    An extract that had no file gets the file name a planner would create, <extract>.csv.
    """
    source_file, loaded_at = con.execute(
        f"select any_value(nullif(_source_file, '')), max(_loaded_at) from raw.{q(spec.name)}"
    ).fetchall()[0]
    return source_file or f"{spec.name}.csv", loaded_at or _any_loaded_at(con)


def _rows_to_check(
    con: duckdb.DuckDBPyConnection,
    spec: ExtractSpec,
    keys: list[tuple[str | None, ...]],
    quarantined: bool,
) -> str:
    """A temp table of the rows whose status a change can alter, to edit and check again.

    Those are the rows with a changed key, and (when an extract they reference gained rows)
    the quarantined ones; with every row sharing one of their keys, so the duplicate-key
    rule counts the same rows a full load would. Every other row keeps its values, its key
    count and its references (references only gain rows), so its status cannot change.
    """
    key_columns = ", ".join(q(column) for column in spec.key)
    text_columns = ", ".join(f"cast(null as varchar) as {q(column)}" for column in spec.key)
    con.execute(f"create or replace temp table scenario_keys as select {text_columns} limit 0")
    if keys:
        placeholders = ", ".join("?" for _ in spec.key)
        con.executemany(f"insert into scenario_keys values ({placeholders})", keys)
    if quarantined:
        con.execute(
            f"insert into scenario_keys select {key_columns} from raw.{q(spec.name)} "
            "where _is_quarantined"
        )
    columns = [
        name
        for (name,) in con.execute(
            f"select column_name from (describe raw.{q(spec.name)})"
        ).fetchall()
        if name not in METADATA_COLUMNS
    ]
    match = " and ".join(f"r.{q(c)} is not distinct from k.{q(c)}" for c in spec.key)
    table = f"scenario_{spec.name}"
    con.execute(
        f"create or replace temp table {table} as "
        f"select {', '.join('r.' + q(name) for name in columns)}, r._source_line as _record_line "
        f"from raw.{q(spec.name)} r semi join scenario_keys k on {match}"
    )
    con.execute("drop table scenario_keys")
    return table


def _next_line(con: duckdb.DuckDBPyConnection, spec: ExtractSpec) -> int:
    """The line after the extract file's last row (2 for a file with a header only)."""
    return con.execute(
        f"select coalesce(max(_source_line), 1) + 1 from raw.{q(spec.name)}"
    ).fetchall()[0][0]


def _apply_one(
    con: duckdb.DuckDBPyConnection, table: str, change: Change, source: str, next_line: int
) -> int:
    """Edit ``table`` by one change; the line of the row it wrote (``next_line`` if new)."""
    key_match = " and ".join(f"{q(column)} = ${column}" for column in change.kind.key)
    key_values = {column: change.values[column] for column in change.kind.key}
    existing = con.execute(
        f"select min(_record_line), count(*) from {table} where {key_match}", key_values
    ).fetchall()[0]
    if change.kind.mode == "update" and existing[1] == 0:
        what = " ".join(str(value) for value in key_values.values())
        raise ChangeError(
            f"{source}: {change.label}: unknown {_singular(change.kind.extract)} {what}"
        )
    if change.kind.mode != "append" and existing[1] > 0:
        updates = {name: value for name, value in change.values.items() if name not in key_values}
        if updates:
            assignments = ", ".join(f"{q(name)} = $v_{name}" for name in updates)
            params = {**key_values, **{f"v_{name}": value for name, value in updates.items()}}
            con.execute(f"update {table} set {assignments} where {key_match}", params)
        return int(existing[0])
    names = [*change.values, "_record_line"]
    placeholders = ", ".join(f"$p{index}" for index in range(len(names)))
    params = {f"p{index}": v for index, v in enumerate([*change.values.values(), next_line])}
    con.execute(
        f"insert into {table} ({', '.join(q(name) for name in names)}) values ({placeholders})",
        params,
    )
    return next_line


def _raise_broken_change(
    con: duckdb.DuckDBPyConnection, spec: ExtractSpec, changes: ChangeSet, lines: dict[str, int]
) -> None:
    """ChangeError with the rule's reason for the first change whose row is quarantined."""
    for change in changes.changes:
        if change.kind.extract != spec.name:
            continue
        found = con.execute(
            f"select _quarantine_reason from raw.{q(spec.name)} "
            "where _source_line = $line and _is_quarantined",
            {"line": lines[change.label]},
        ).fetchall()
        if found:
            raise ChangeError(f"{changes.source}: {change.label}: {_plain(found[0][0])}")


def _plain(reason: str) -> str:
    """The ingest reason, with "seller_id S9 is not a known seller" said as "unknown seller S9"."""
    return "; ".join(UNKNOWN_REFERENCE.sub(r"unknown \2 \1", part) for part in reason.split("; "))


def _notes(con: duckdb.DuckDBPyConnection, changes: ChangeSet) -> list[str]:
    """What is allowed but worth saying: an account moved to a terminated seller."""
    notes: list[str] = []
    for change in changes.of_kind("account_owners"):
        owner = change.values.get("owner_seller_id")
        if owner is None:
            continue
        status = con.execute(
            "select status from raw.sellers where seller_id = $id and not _is_quarantined",
            {"id": owner},
        ).fetchall()
        if status and status[0][0] == "terminated":
            notes.append(
                f"{changes.source}: {change.label}: account {change.values['account_id']} moves "
                f"to {owner}, who is terminated: its targets count as unassigned"
            )
    return notes


def _singular(extract: str) -> str:
    return {"accounts": "account", "sellers": "seller"}.get(extract, SPECS[extract].name)
