"""Bad-input matrix on the real ingest layer: DuckDB reading real files.

Two kinds of breakage, as docs/contract.md section 1 sorts them:
- file-level (missing/renamed column, empty file, both formats, unreadable file): the
  preflight refuses the run with ExtractError, exit 2, one line naming file and rule;
- row-level (types, keys, references, money, currency, enums, malformed lines, cycles,
  overlapping periods): the row goes to dq.quarantine with file, line, key and a reason
  naming the column and the rule; the blocking quarantine check then decides: above
  ``max_quarantine_share`` the run fails (exit 1), within it the run publishes (exit 0).
The small fixture has 2-15 rows per extract, so one bad row is always above the default
1%: every row-level case here is an exit-1 case, and the within-policy case raises the
share. A handful of the same cases go through the real CLI in test_bad_input_cli.py.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from reliability_helpers import (
    append_line,
    read_rows,
    set_field,
    write_rows,
)
from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.automation.preflight import preflight
from quota_pipeline.errors import ExtractError
from quota_pipeline.ingest.assets import _quarantine_check, raw_key
from quota_pipeline.ingest.loader import LoadResult, load_all
from quota_pipeline.policy import Policy
from quota_pipeline.settings import Settings

LOADED_AT = datetime(2026, 11, 27, 2, 0)
Mutation = Callable[[Path], None]


@dataclasses.dataclass(frozen=True)
class RowCase:
    """A broken row: where it is and what the quarantine reason must say about it."""

    mutate: Mutation
    extract: str
    line: int
    column: str
    rule: str


def _duplicate_quota(extracts: Path) -> None:
    path = extracts / "quotas.csv"
    rows = read_rows(path)
    write_rows(path, [*rows, rows[1]])


def _cycle(extracts: Path) -> None:
    # EMEA's parent becomes DACH, whose parent is EMEA.
    set_field("territories", 3, "parent_territory_id", "DACH")(extracts)


ROW_CASES: dict[str, RowCase] = {
    "wrong_type_decimal": RowCase(
        set_field("quotas", 3, "quota_amount", "45k"),
        "quotas",
        3,
        "quota_amount",
        "quota_amount 45k is not a decimal number",
    ),
    "wrong_type_date": RowCase(
        set_field("sellers", 3, "hire_date", "10/03/2026"),
        "sellers",
        3,
        "hire_date",
        "hire_date 10/03/2026 is not a date (YYYY-MM-DD)",
    ),
    "missing_key": RowCase(
        set_field("quotas", 4, "seller_id", ""), "quotas", 4, "seller_id", "is empty (required)"
    ),
    "duplicate_key": RowCase(
        _duplicate_quota, "quotas", 8, "seller_id, period", "duplicate key (seller_id, period)"
    ),
    "orphan_reference": RowCase(
        set_field("quotas", 5, "seller_id", "S_GHOST"),
        "quotas",
        5,
        "seller_id",
        "seller_id S_GHOST is not a known seller",
    ),
    "negative_money": RowCase(
        set_field("quotas", 2, "quota_amount", "-5"),
        "quotas",
        2,
        "quota_amount",
        "quota_amount -5 is negative",
    ),
    "absurd_money": RowCase(
        set_field("sellers", 2, "ote_amount", "99999999999999999999"),
        "sellers",
        2,
        "ote_amount",
        "exceeds the policy limit max_money_amount",
    ),
    "unknown_currency": RowCase(
        set_field("quotas", 6, "currency_iso", "XYZ"),
        "quotas",
        6,
        "currency_iso",
        "currency_iso XYZ has no rate in fx_rates",
    ),
    "bad_currency_code": RowCase(
        set_field("quotas", 6, "currency_iso", "euro"),
        "quotas",
        6,
        "currency_iso",
        "currency_iso euro is not a 3-letter currency code",
    ),
    "unknown_enum": RowCase(
        set_field("sellers", 4, "seniority", "boss"),
        "sellers",
        4,
        "seniority",
        "seniority boss is not one of junior, mid, senior, principal",
    ),
    "truncated_line": RowCase(
        append_line("quotas", "S4,FY2027-Q2\n"), "quotas", 8, "fields", "2 fields, the header has 4"
    ),
    "truncated_last_line_no_newline": RowCase(
        append_line("quotas", "S4,FY20"), "quotas", 8, "fields", "2 fields, the header has 4"
    ),
    "overlong_line": RowCase(
        append_line("quotas", "S4,FY2027-Q2,5,USD,surplus,fields\n"),
        "quotas",
        8,
        "fields",
        "6 fields, the header has 4",
    ),
    "whitespace_around_a_number": RowCase(
        set_field("quotas", 3, "quota_amount", " 1300000 "),
        "quotas",
        3,
        "quota_amount",
        'quota_amount " 1300000 " is not a decimal number',
    ),
    "territory_cycle": RowCase(
        _cycle, "territories", 3, "parent_territory_id", "territory hierarchy cycle: EMEA -> DACH"
    ),
    "overlapping_fiscal_periods": RowCase(
        set_field("fiscal_periods", 3, "start_date", "2026-04-15"),
        "fiscal_periods",
        3,
        "start_date",
        "start_date..end_date 2026-04-15..2026-07-31 overlaps period FY2027-Q1 of fiscal year 2027",
    ),
    "period_ends_before_start": RowCase(
        set_field("fiscal_periods", 3, "end_date", "2026-04-01"),
        "fiscal_periods",
        3,
        "start_date",
        "start_date 2026-05-01 is after end_date 2026-04-01",
    ),
}


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[Mutation], Path]:
    """A fresh copy of the small fixture with one mutation applied."""

    def make(mutate: Mutation) -> Path:
        target = tmp_path / "extracts"
        shutil.copytree(SMALL_FIXTURE, target)
        mutate(target)
        return target

    return make


def load(extracts: Path, policy: Policy) -> tuple[duckdb.DuckDBPyConnection, list[LoadResult]]:
    con = duckdb.connect()
    return con, load_all(con, extracts, policy, LOADED_AT)


@pytest.mark.parametrize("case", ROW_CASES.values(), ids=ROW_CASES.keys())
def test_row_level_break_is_quarantined_and_blocks_above_share(
    case: RowCase, broken: Callable[[Mutation], Path], policy: Policy
) -> None:
    con, results = load(broken(case.mutate), policy)
    rows = con.execute(
        "select source_file, source_line, reason from dq.quarantine where extract = ? "
        "order by source_line",
        [case.extract],
    ).fetchall()
    file_name = f"{case.extract}.csv"
    matching = [row for row in rows if row[1] == case.line and case.rule in row[2]]
    assert matching, rows
    assert matching[0][0] == file_name and case.column in matching[0][2]

    # Never silently dropped: raw keeps the row, flagged (malformed lines live in dq only).
    raw_count = con.execute(f"select count(*) from raw.{case.extract}").fetchall()[0][0]
    result = next(r for r in results if r.extract == case.extract)
    assert result.rows >= raw_count and result.quarantined >= 1

    # The blocking check is what turns this into exit 1, with the one line the CLI prints.
    check = _quarantine_check(result, policy.max_quarantine_share, raw_key(case.extract))
    assert not check.passed
    description = check.description or ""
    assert "\n" not in description
    assert description.startswith(f"{file_name}:"), description
    assert "max_quarantine_share" in description


def test_row_level_break_within_share_passes_and_keeps_the_row(
    broken: Callable[[Mutation], Path], policy: Policy
) -> None:
    """Within max_quarantine_share the run publishes (exit 0), with the row in dq."""
    lenient = policy.model_copy(update={"max_quarantine_share": 0.5})
    con, results = load(broken(ROW_CASES["negative_money"].mutate), lenient)
    quotas = next(r for r in results if r.extract == "quotas")
    assert _quarantine_check(quotas, lenient.max_quarantine_share, raw_key("quotas")).passed
    assert con.execute(
        "select source_line, record_key, reason from dq.quarantine where extract = 'quotas'"
    ).fetchall() == [(2, "S1|FY2027-Q1", "quota_amount -5 is negative")]


def test_quarantined_parent_cascades_to_children(
    broken: Callable[[Mutation], Path], policy: Policy
) -> None:
    """A child under a cycle cannot sit in the tree either: quarantined, reason says why."""
    con, _ = load(broken(_cycle), policy)
    reasons = dict(
        con.execute(
            "select record_key, reason from dq.quarantine where extract = 'territories'"
        ).fetchall()
    )
    assert set(reasons) == {"EMEA", "DACH", "FRANCE"}
    assert reasons["FRANCE"] == (
        "parent_territory_id EMEA: territory hierarchy cycle: EMEA -> DACH -> EMEA"
    )


def _drop_column(extracts: Path) -> None:
    path = extracts / "quotas.csv"
    write_rows(path, [row[:2] + row[3:] for row in read_rows(path)])


def _rename_column(extracts: Path) -> None:
    path = extracts / "quotas.csv"
    path.write_text(path.read_text().replace("quota_amount", "quota_amt", 1))


def _empty(extracts: Path) -> None:
    (extracts / "quotas.csv").write_bytes(b"")


def _header_only(extracts: Path) -> None:
    (extracts / "quotas.csv").write_text("seller_id,period,quota_amount,currency_iso\n")


def _both_formats(extracts: Path) -> None:
    con = duckdb.connect()
    con.execute(
        "copy (select * from read_csv($source, all_varchar = true)) to $target (format parquet)",
        {"source": str(extracts / "quotas.csv"), "target": str(extracts / "quotas.parquet")},
    )


def _corrupt_parquet(extracts: Path) -> None:
    (extracts / "quotas.csv").unlink()
    (extracts / "quotas.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")


def _directory_named_like_file(extracts: Path) -> None:
    # chmod 000 means nothing to root (CI runs as root); a directory cannot be read as CSV.
    (extracts / "quotas.csv").unlink()
    (extracts / "quotas.csv").mkdir()


def _missing_file(extracts: Path) -> None:
    (extracts / "quotas.csv").unlink()


def _binary_garbage(extracts: Path) -> None:
    (extracts / "quotas.csv").write_bytes(b"\x00\xff\xfe\x00" * 64)


FILE_CASES: dict[str, tuple[Mutation, str]] = {
    "missing_column": (_drop_column, "quotas.csv:1: missing required column quota_amount"),
    "renamed_column": (_rename_column, "quotas.csv:1: missing required column quota_amount"),
    "empty_file": (_empty, "quotas.csv:1: file is empty (no header row)"),
    "header_only_file": (_header_only, "quotas.csv: extract has no rows"),
    "both_csv_and_parquet": (
        _both_formats,
        "both quotas.csv and quotas.parquet exist; keep exactly one",
    ),
    "unreadable_corrupt_parquet": (_corrupt_parquet, "quotas.parquet: unreadable ("),
    "unreadable_directory": (_directory_named_like_file, "quotas.csv: not a regular file"),
    "missing_file": (_missing_file, "quotas.csv: extract file is missing"),
    "binary_garbage": (_binary_garbage, "quotas.csv:1: the header is not UTF-8 (byte 0xFF)"),
}


@pytest.mark.parametrize(("mutate", "expected"), FILE_CASES.values(), ids=FILE_CASES.keys())
def test_file_level_break_is_refused_by_preflight_with_exit_2(
    mutate: Mutation, expected: str, broken: Callable[[Mutation], Path], tmp_path: Path
) -> None:
    extracts = broken(mutate)
    settings = Settings(
        extracts_dir=extracts,
        warehouse=tmp_path / "out" / "warehouse.duckdb",
        ops_db=tmp_path / "out" / "ops.duckdb",
        policy_file=POLICY_FILE,
    )
    with pytest.raises(ExtractError) as raised:
        preflight(settings)
    message = str(raised.value)
    assert raised.value.exit_code == 2
    assert "\n" not in message and expected in message, message
    assert not settings.warehouse.exists() and not settings.build_dir.exists()


def test_may_be_empty_extracts_accept_header_only(
    broken: Callable[[Mutation], Path], policy: Policy
) -> None:
    """topdown_targets and fx_rates may be empty (docs/contract.md section 1)."""

    def empty_topdown(extracts: Path) -> None:
        (extracts / "topdown_targets.csv").write_text(
            "territory_id,period,target_amount,currency_iso\n"
        )

    con, results = load(broken(empty_topdown), policy)
    assert next(r for r in results if r.extract == "topdown_targets").rows == 0
    assert con.execute("select count(*) from dq.quarantine").fetchall()[0][0] == 0


def _extra_column(extracts: Path) -> None:
    path = extracts / "quotas.csv"
    rows = read_rows(path)
    write_rows(path, [rows[0] + ["planner_note"]] + [[*row, "=SUM(A1)"] for row in rows[1:]])


ODD_ACCOUNTS = {
    "A90": ("Ωμέγα 株式会社 Müller-Łódź", "Тяжёлая промышленность"),
    "A91": ('Multi\nLine, "Quoted" Inc', "Retail"),
    "A92": ('=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0"),
    "A93": ("x'); drop table raw.accounts; --", "@SUM(1)"),
}


def _odd_but_valid(extracts: Path) -> None:
    """UTF-8 BOM, CRLF line ends, quoted newlines, non-Latin names, leading = + @."""
    path = extracts / "accounts.csv"
    rows = read_rows(path)
    header = rows[0]
    for account_id, (name, industry) in ODD_ACCOUNTS.items():
        row = dict.fromkeys(header, "")
        row.update(
            account_id=account_id,
            account_name=name,
            industry=industry,
            territory_id="DACH",
            owner_seller_id="S1",
            segment="smb",
        )
        rows.append([row[column] for column in header])
    write_rows(path, rows)
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    _extra_column(extracts)


def test_odd_but_valid_input_loads_exactly(
    broken: Callable[[Mutation], Path], policy: Policy
) -> None:
    con, results = load(broken(_odd_but_valid), policy)
    assert con.execute("select count(*) from dq.quarantine").fetchall()[0][0] == 0
    assert all(result.quarantined == 0 for result in results)
    loaded = {
        account_id: (name, industry)
        for account_id, name, industry in con.execute(
            "select account_id, account_name, industry from raw.accounts where account_id like 'A9%'"
        ).fetchall()
    }
    # Quoted newline: the CRLF inside the quotes is part of the value, kept as written.
    assert loaded.pop("A91") == ('Multi\r\nLine, "Quoted" Inc', "Retail")
    assert loaded == {k: v for k, v in ODD_ACCOUNTS.items() if k != "A91"}
    # The BOM does not stick to the first column name; lines count physical lines.
    lines = dict(
        con.execute(
            "select account_id, _source_line from raw.accounts where account_id in ('A01', 'A92')"
        ).fetchall()
    )
    assert lines == {"A01": 2, "A92": 15}
    # Extra columns are kept in raw (docs/contract.md section 1), values untouched.
    assert con.execute("select distinct planner_note from raw.quotas").fetchall() == [("=SUM(A1)",)]
    assert con.execute("select count(*) from raw.accounts").fetchall()[0][0] == 14
