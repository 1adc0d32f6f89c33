"""Damaged CSV exports on the real ingest: what real CRMs and hand edits produce.

docs/contract.md section 1: a line with more or fewer fields than the header is a bad row
(never padded with nulls), a reason quotes a value as it stands in the file, and every
row is named by its physical line. What cannot be split into rows at all (a repeated
column, bytes that are not UTF-8, a quote that swallows line ends) stops the run with
exit 2, naming the file and the line where the trouble starts.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from reliability_helpers import Workspace, copy_baseline, file_digest, run_cli
from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.automation.preflight import preflight
from quota_pipeline.errors import ExtractError
from quota_pipeline.ingest.csv_reader import FIELD_LIMIT_BYTES, LONG_LINE_BYTES
from quota_pipeline.ingest.loader import load_all
from quota_pipeline.policy import Policy
from quota_pipeline.settings import Settings

LOADED_AT = datetime(2026, 11, 27, 2, 0)
ACCOUNT_TAIL = b",DACH,S1,smb,Food,,EU-C\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "extracts"
    shutil.copytree(SMALL_FIXTURE, target)
    return target


def append(folder: Path, name: str, data: bytes) -> None:
    with (folder / f"{name}.csv").open("ab") as handle:
        handle.write(data)


def replace(folder: Path, name: str, old: bytes, new: bytes) -> None:
    path = folder / f"{name}.csv"
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def quarantine(folder: Path, policy: Policy, extract: str) -> list[tuple[int, str, str]]:
    con = duckdb.connect()
    load_all(con, folder, policy, LOADED_AT)
    return con.execute(
        "select source_line, reason, record from dq.quarantine where extract = ? order by 1",
        [extract],
    ).fetchall()


def refusal(folder: Path, policy: Policy) -> str:
    with pytest.raises(ExtractError) as raised:
        load_all(duckdb.connect(), folder, policy, LOADED_AT)
    message = str(raised.value)
    assert raised.value.exit_code == 2 and "\n" not in message
    return message


def test_short_line_is_a_bad_row_never_a_null_target(folder: Path, policy: Policy) -> None:
    """The issue's case: `A20,FY2027-Q1` (two of four fields) used to become a null target,
    which means "not planned yet"."""
    append(folder, "account_targets", b"A20,FY2027-Q1\n")
    con = duckdb.connect()
    load_all(con, folder, policy, LOADED_AT)
    assert con.execute(
        "select source_line, reason, record from dq.quarantine where extract = 'account_targets'"
    ).fetchall() == [(17, "2 fields, the header has 4", "A20,FY2027-Q1")]
    assert con.execute(
        "select count(*) from raw.account_targets where account_id = 'A20'"
    ).fetchall() == [(0,)]


def test_field_counts_and_true_lines_after_blank_lines_and_quoted_newlines(
    folder: Path, policy: Policy
) -> None:
    append(folder, "quotas", b'\n\nS1,"FY\n2027",1,USD\n\nS9,x\nS2,a,b,c,d,e\n   \n')
    rows = quarantine(folder, policy, "quotas")
    assert [(line, reason) for line, reason, _record in rows] == [
        (10, 'period "FY\\n2027" is not a known period'),
        (13, "2 fields, the header has 4"),
        (14, "6 fields, the header has 4"),
        (15, "1 field, the header has 4"),
    ]


@pytest.mark.parametrize("line_end", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_crlf_and_cr_line_ends_count_lines(folder: Path, policy: Policy, line_end: bytes) -> None:
    path = folder / "quotas.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", line_end) + b"S9,x" + line_end)
    assert [(line, reason) for line, reason, _ in quarantine(folder, policy, "quotas")] == [
        (8, "2 fields, the header has 4")
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (b" 1300000 ", '" 1300000 "'),
        (b"1300000\xc2\xa0", '"1300000\\u00a0"'),
        (b"13\x0000", '"13\\u000000"'),
        (b"1e400", "1e400"),
    ],
    ids=["spaces", "nbsp", "nul", "exponent"],
)
def test_reason_quotes_the_value_as_it_stands(
    folder: Path, policy: Policy, value: bytes, shown: str
) -> None:
    replace(folder, "quotas", b",200000,", b"," + value + b",")
    ((line, reason, _record),) = quarantine(folder, policy, "quotas")
    assert (line, reason) == (2, f"quota_amount {shown} is not a decimal number")


def test_a_line_repeating_the_header_is_named_as_such(folder: Path, policy: Policy) -> None:
    append(folder, "territories", b"territory_id,territory_name,parent_territory_id,level\n")
    assert [(line, reason) for line, reason, _ in quarantine(folder, policy, "territories")] == [
        (8, "the line repeats the header")
    ]


def test_stray_quote_on_one_line_is_a_bad_row(folder: Path, policy: Policy) -> None:
    append(folder, "quotas", b'S1,FY2027-Q2,"5"x,USD\n')
    assert [(line, reason) for line, reason, _ in quarantine(folder, policy, "quotas")] == [
        (
            8,
            "stray quote in column quota_amount: a quoted field must end at a comma or the line end",
        )
    ]


def test_unclosed_quote_stops_the_run_at_the_line_where_it_opens(
    folder: Path, policy: Policy
) -> None:
    replace(folder, "quotas", b"S1,FY2027-Q2", b'S1,"FY2027-Q2')
    message = refusal(folder, policy)
    assert "quotas.csv:3: a quote opened on this line (column period) is not closed" in message


def test_not_utf8_stops_the_run_at_the_first_line_that_does_not_decode(
    folder: Path, policy: Policy
) -> None:
    """A quoted newline before the bad byte: the line is the physical one."""
    replace(folder, "accounts", b"Alpenwerk AG", b'"Alpen\nwerk AG"')
    append(folder, "accounts", "A99,Caf\xe9 M\xfcller".encode("latin-1") + ACCOUNT_TAIL)
    message = refusal(folder, policy)
    assert "accounts.csv:13: not UTF-8 (byte 0xE9 at byte 8 of the line)" in message


def test_header_not_utf8_or_with_a_repeated_column_stops_preflight(
    folder: Path, tmp_path: Path
) -> None:
    settings = Settings(
        extracts_dir=folder,
        warehouse=tmp_path / "out" / "warehouse.duckdb",
        ops_db=tmp_path / "out" / "ops.duckdb",
        policy_file=POLICY_FILE,
    )
    cases = [
        (b"currency_iso", b"Quota_Amount", "column Quota_Amount appears twice in the header"),
        (b"quota_amount", b"quota_\xe4mount", "quotas.csv:1: the header is not UTF-8 (byte 0xE4)"),
        (b"period", b" period", 'missing required column period (the header has " period")'),
        (b"seller_id", b'"seller_id', "quotas.csv:1: a quote in the header row is never closed"),
    ]
    original = (folder / "quotas.csv").read_bytes()
    for old, new, expected in cases:
        (folder / "quotas.csv").write_bytes(original.replace(old, new, 1))
        with pytest.raises(ExtractError) as raised:
            preflight(settings)
        assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_semicolons_and_a_parquet_column_twice_are_refused_in_one_line(
    folder: Path, policy: Policy
) -> None:
    quotas = folder / "quotas.csv"
    quotas.write_bytes(quotas.read_bytes().replace(b",", b";"))
    with pytest.raises(ExtractError, match="fields separated by semicolons, not commas"):
        load_all(duckdb.connect(), folder, policy, LOADED_AT)
    quotas.unlink()
    duckdb.sql(
        "copy (select 'S1' as seller_id, 'FY2027-Q1' as period, '5' as quota_amount, "
        "'USD' as currency_iso, '6' as quota_amount_) to '" + str(folder / "raw.parquet") + "'"
    )
    table = pq.read_table(folder / "raw.parquet")
    pq.write_table(
        table.rename_columns([*table.column_names[:4], "quota_amount"]), folder / "quotas.parquet"
    )
    (folder / "raw.parquet").unlink()
    with pytest.raises(ExtractError, match="column quota_amount appears twice"):
        load_all(duckdb.connect(), folder, policy, LOADED_AT)


def test_fields_up_to_16_mib_load_and_a_longer_one_quarantines_its_own_row(
    folder: Path, policy: Policy
) -> None:
    two_mib = b"n" * (2 << 20)
    append(folder, "accounts", b"A70," + two_mib + ACCOUNT_TAIL)
    append(folder, "accounts", b"A71," + b"x" * (FIELD_LIMIT_BYTES + 1) + ACCOUNT_TAIL)
    append(folder, "accounts", b"A72," + b"y" * (LONG_LINE_BYTES + 1) + ACCOUNT_TAIL)
    append(folder, "accounts", b"A73,fine" + ACCOUNT_TAIL)
    con = duckdb.connect()
    load_all(con, folder, policy.model_copy(update={"max_quarantine_share": 0.5}), LOADED_AT)
    loaded = dict(
        con.execute(
            "select account_id, strlen(account_name) from raw.accounts where not _is_quarantined "
            "and account_id >= 'A70'"
        ).fetchall()
    )
    assert loaded == {"A70": 2 << 20, "A73": 4}
    rows = con.execute(
        "select source_line, reason, strlen(record) from dq.quarantine "
        "where extract = 'accounts' order by 1"
    ).fetchall()
    assert [(line, reason.split(" is ")[0]) for line, reason, _ in rows] == [
        (13, "account_name"),
        (14, "line"),
    ]
    assert rows[1][2] == len(b"A72,") + LONG_LINE_BYTES + 1 + len(ACCOUNT_TAIL) - 1  # whole line


@pytest.mark.slow
def test_not_utf8_through_the_cli_exits_2_in_one_line_and_keeps_the_warehouse(
    baseline: Workspace, tmp_path: Path
) -> None:
    """Found while loading (after the preflight): still exit 2, one line naming file and
    line, the run on record as refused, the published warehouse untouched."""
    workspace = copy_baseline(baseline, tmp_path / "ws")
    append(workspace.extracts, "accounts", "A99,Caf\xe9".encode("latin-1") + ACCOUNT_TAIL)
    before = file_digest(workspace.warehouse)
    result = run_cli(workspace)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    reasons = [line for line in result.stderr.splitlines() if line.startswith("quota-pipeline: ")]
    assert len(reasons) == 1, result.stderr
    assert "accounts.csv:12: not UTF-8 (byte 0xE9 at byte 8 of the line)" in reasons[0]
    assert file_digest(workspace.warehouse) == before
    with duckdb.connect(str(workspace.ops_db), read_only=True) as ops:
        assert ops.execute("select status from run_log").fetchall() == [("refused",)]
