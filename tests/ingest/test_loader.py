"""Ingest on real DuckDB: every row kept in raw, rule breaks quarantined with file lines."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from quota_pipeline.errors import ExtractError
from quota_pipeline.ingest import csv_reader
from quota_pipeline.ingest.files import find_extract_file
from quota_pipeline.ingest.loader import load_all, repeated_keys_sql
from quota_pipeline.ingest.specs import SPECS

LOADED_AT = datetime(2026, 11, 26, 2, 0)


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle))


def append_row(path: Path, **values: str) -> int:
    """Append one record; return the physical line it starts on."""
    lines = path.read_text(encoding="utf-8").count("\n")
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow([values.get(c, "") for c in header(path)])
    return lines + 1


def quarantine(con, extract):
    return con.execute(
        "select source_line, record_key, reason from dq.quarantine where extract = ? order by source_line",
        [extract],
    ).fetchall()


def load(extracts: Path, policy) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_all(con, extracts, policy, LOADED_AT)
    return con


def test_clean_fixture_has_no_quarantine(extracts, policy):
    con = load(extracts, policy)
    assert con.execute("select count(*) from dq.quarantine").fetchall()[0][0] == 0
    for name in SPECS:
        columns = {row[0] for row in con.execute(f"describe raw.{name}").fetchall()}
        assert {"_source_file", "_source_line", "_loaded_at", *SPECS[name].column_names} <= columns


def test_rule_breaks_are_quarantined_with_line_and_reason(extracts, policy):
    sellers = extracts / "sellers.csv"
    first_seller = next(csv.DictReader(sellers.open(encoding="utf-8-sig")))
    bad = append_row(
        sellers,
        seller_id="S_BAD",
        seller_name="Bad Data",
        territory_id="NOWHERE",
        seniority="boss",
        hire_date="2026-02-30",
        ote_amount="-1",
        currency_iso="XYZ",
        status="active",
    )
    duplicate = append_row(sellers, **first_seller)
    con = load(extracts, policy)
    rows = quarantine(con, "sellers")
    by_line = {line: (key, reason) for line, key, reason in rows}
    key, reason = by_line[bad]
    assert key == "S_BAD"
    for expected in (
        "territory_id NOWHERE is not a known territory",
        "seniority boss is not one of junior, mid, senior, principal",
        "hire_date 2026-02-30 is not a date (YYYY-MM-DD)",
        "ote_amount -1 is negative",
        "currency_iso XYZ has no rate in fx_rates",
    ):
        assert expected in reason
    assert "duplicate key (seller_id)" in by_line[duplicate][1]
    assert "duplicate key (seller_id)" in by_line[2][1]
    raw_rows = con.execute("select count(*) from raw.sellers").fetchall()[0][0]
    assert raw_rows == sum(1 for _ in csv.DictReader(sellers.open(encoding="utf-8-sig")))


def test_quoted_newline_keeps_physical_line_numbers(extracts, policy):
    accounts = extracts / "accounts.csv"
    account = next(csv.DictReader(accounts.open(encoding="utf-8-sig")))
    append_row(accounts, **{**account, "account_id": "A_MULTI", "account_name": "Two\nLines"})
    bad = append_row(accounts, **{**account, "account_id": "A_BAD", "segment": "galactic"})
    con = load(extracts, policy)
    assert quarantine(con, "accounts") == [
        (bad, "A_BAD", "segment galactic is not one of enterprise, mid_market, smb")
    ]


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_line_ends_counted_across_read_chunks(tmp_path, monkeypatch, chunk):
    """Line ends are counted in chunks: a boundary (even inside a CRLF) must not lose or
    add one; LF, CRLF and a lone CR each end a line."""
    monkeypatch.setattr(csv_reader, "CHUNK_BYTES", chunk)
    path = tmp_path / "lines.csv"
    text = 'id,name\r\n1,"two\r\nlines"\r\n\r\n2,x\r3,y\n4,z'
    path.write_bytes(text.encode())
    offsets = [text.index(marker) for marker in ("1,", "2,", "3,", "4,")]
    assert csv_reader.physical_lines(path, offsets) == [2, 5, 6, 7]
    assert csv_reader.record_starts(path).tolist() == [2, 5, 6, 7]
    assert not csv_reader._one_line_per_record(path, 4)
    path.write_bytes(b"id,name\r\n1,x\r\n2,y\r\n")
    assert csv_reader._one_line_per_record(path, 2)
    # a quoted newline: record 2 starts on line 4, not 3
    path.write_text('id,name\n1,"two\nlines"\n2,x\n', encoding="utf-8", newline="")
    assert csv_reader.record_starts(path).tolist() == [2, 4]


def test_malformed_line_is_quarantined_not_dropped(extracts, policy):
    quotas = extracts / "quotas.csv"
    with quotas.open("a", encoding="utf-8") as handle:
        handle.write("S_SHORT,FY2027-Q1\n")
    line = quotas.read_text(encoding="utf-8").count("\n")
    con = load(extracts, policy)
    rows = quarantine(con, "quotas")
    assert rows == [(line, None, "2 fields, the header has 4")]


def test_cascade_unknown_reference_after_parent_quarantined(extracts, policy):
    territories = extracts / "territories.csv"
    append_row(territories, territory_id="LOOP_A", territory_name="A", parent_territory_id="LOOP_B")
    append_row(territories, territory_id="LOOP_B", territory_name="B", parent_territory_id="LOOP_A")
    con = load(extracts, policy)
    reasons = [reason for _line, _key, reason in quarantine(con, "territories")]
    assert reasons == [
        "parent_territory_id LOOP_B: territory hierarchy cycle: LOOP_A -> LOOP_B -> LOOP_A",
        "parent_territory_id LOOP_A: territory hierarchy cycle: LOOP_B -> LOOP_A -> LOOP_B",
    ]


def test_both_formats_present_is_refused(extracts):
    (extracts / "quotas.parquet").write_bytes(b"PAR1")
    with pytest.raises(ExtractError, match=r"both quotas\.csv and quotas\.parquet exist"):
        find_extract_file(extracts, SPECS["quotas"])


def test_missing_required_column_names_it(extracts, policy):
    path = extracts / "fiscal_periods.csv"
    text = path.read_text(encoding="utf-8").replace("end_date", "finish_date", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ExtractError, match=r"fiscal_periods.csv:1: missing required column end_date"
    ):
        load(extracts, policy)


def test_symlink_outside_folder_is_refused(extracts, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((extracts / "quotas.csv").read_text())
    (extracts / "quotas.csv").unlink()
    (extracts / "quotas.csv").symlink_to(outside)
    with pytest.raises(ExtractError, match="points outside the extracts folder"):
        find_extract_file(extracts, SPECS["quotas"])


def test_parquet_extracts_load_like_csv(extracts, policy, tmp_path):
    con = duckdb.connect()
    for name in SPECS:
        source = extracts / f"{name}.csv"
        target = extracts / f"{name}.parquet"
        if not source.exists():  # the optional target_overrides: absent
            continue
        con.execute(
            f"copy (select * from read_csv('{source}', all_varchar = true)) to '{target}' (format parquet)"
        )
        source.unlink()
    loaded = load(extracts, policy)
    assert loaded.execute("select count(*) from dq.quarantine").fetchall()[0][0] == 0
    assert loaded.execute("select min(_source_line) from raw.accounts").fetchall()[0][0] == 1


def test_repeated_keys_are_exact_counted_and_null_parts_equal():
    """Only keys held by 2+ rows come back, with their counts; a hash collision could not
    add one (the second pass groups by the key itself); null key parts count as one value."""
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values "
        "('a', 'p1', false), ('a', 'p1', false), ('a', 'p2', false), "
        "(null, 'p1', false), (null, 'p1', false), ('b', null, false), "
        "('c', 'p1', false), ('c', 'p1', true)) v(account_id, period, _is_quarantined)"
    )
    key = ("account_id", "period")
    found = con.execute(f"{repeated_keys_sql('t', key)} order by all").fetchall()
    assert found == [("a", "p1", 2), ("c", "p1", 2), (None, "p1", 2)]
    accepted = repeated_keys_sql("t", key, where="not _is_quarantined")
    assert con.execute(f"{accepted} order by all").fetchall() == [("a", "p1", 2), (None, "p1", 2)]
