"""Random damage to the fixture extracts and the policy (hypothesis): the pipeline either
loads, quarantines or refuses, and always says so in one line naming the file or the key.

The damages are the ones real CRM exports and hand edits produce: truncated and extended
lines, stray quotes, bytes that are not UTF-8, NUL, repeated headers and columns, odd
whitespace, absurd numbers, wrong dates, territory cycles, blank lines, other line ends,
cut files; and a policy with a dropped key, a wrong value or bad bytes. Asserted
(docs/contract.md sections 1, 2 and 5; docs/operations.md lists each damage's outcome):

- no traceback: only QuotaPipelineError leaves the code, with exit code 1 or 2 and one
  line naming the damaged file or the policy;
- nothing lost: an extract that loads accounts for every record of its file, in raw or
  in dq.quarantine, each on its own physical line;
- through the real CLI (a few examples): exit 0, 1 or 2, no traceback, one stderr line
  naming the file or policy, and the published warehouse byte-for-byte unchanged unless
  the run published.

Affordable in CI: the loader examples run in-process (about 0.3 s each); the CLI
examples are few and slow-marked, as the CLI's own matrix is in test_bad_input_cli.py.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reliability_helpers import (
    Workspace,
    copy_baseline,
    file_digest,
    run_cli,
)
from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.automation.preflight import preflight
from quota_pipeline.errors import QuotaPipelineError
from quota_pipeline.ingest.assets import _quarantine_check, raw_key
from quota_pipeline.ingest.loader import load_all
from quota_pipeline.settings import Settings

LOADED_AT = datetime(2026, 11, 27, 2, 0)
EXTRACT_FILES = sorted(path.name for path in SMALL_FIXTURE.glob("*.csv"))
POLICY = "planning_policy.yaml"

NOT_UTF8 = [b"\xe9", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]
ODD_WHITESPACE = [b" ", b"  ", b"\t", b"\xc2\xa0", b"\xe2\x80\x8b", b"\r", b"\xef\xbb\xbf"]
ABSURD_NUMBERS = [
    b"1e400",
    b"99999999999999999999",
    b"-0.000",
    b"NaN",
    b"1,5",
    b"0x10",
    b"\xd9\xa1\xd9\xa2",
    b"-",
    b"",
]
WRONG_DATES = [b"2026-02-30", b"31/12/2026", b"2026-13-01", b"0000-00-00", b"2026-1-1", b""]
POLICY_VALUES = [b"-1", b"1e308", b"abc", b"", b"[]", b"{", b"null", b"0"]
FIELD_KINDS = ("truncate", "extend", "stray_quote", "not_utf8", "nul", "whitespace")
FILE_KINDS = (
    "repeat_header",
    "repeat_column",
    "absurd_number",
    "wrong_date",
    "blank_lines",
    "line_ends",
    "cut_file",
)
POLICY_KINDS = ("drop_line", "value", "not_utf8", "nul", "cut_file")


@dataclass(frozen=True)
class Damage:
    """One damage to one file: what, where (line and byte position, taken modulo the
    file's size), and with what bytes."""

    target: str
    kind: str
    line: int
    position: int
    payload: bytes

    def __str__(self) -> str:  # the falsifying example hypothesis prints
        return f"{self.kind}@{self.target}:{self.line}+{self.position} {self.payload!r}"


def _extract_damage() -> st.SearchStrategy[Damage]:
    return st.builds(
        Damage,
        target=st.sampled_from(EXTRACT_FILES),
        kind=st.sampled_from(FIELD_KINDS + FILE_KINDS + ("cycle",)),
        line=st.integers(0, 40),
        position=st.integers(0, 200),
        payload=st.sampled_from(NOT_UTF8 + ODD_WHITESPACE + ABSURD_NUMBERS + WRONG_DATES),
    )


def _policy_damage() -> st.SearchStrategy[Damage]:
    return st.builds(
        Damage,
        target=st.just(POLICY),
        kind=st.sampled_from(POLICY_KINDS),
        line=st.integers(0, 400),
        position=st.integers(0, 200),
        payload=st.sampled_from(POLICY_VALUES + NOT_UTF8),
    )


DAMAGES = st.lists(
    st.one_of(_extract_damage(), _extract_damage(), _extract_damage(), _policy_damage()),
    min_size=1,
    max_size=3,
)


# --- applying a damage ------------------------------------------------------------------


def apply(damage: Damage, extracts: Path, policy: Path) -> None:
    path = policy if damage.target == POLICY else extracts / damage.target
    data = path.read_bytes()
    path.write_bytes(_damaged(data, damage))


def _damaged(data: bytes, damage: Damage) -> bytes:
    lines = data.split(b"\n")
    index = damage.line % len(lines)
    line = lines[index]
    at = damage.position % (len(line) + 1)
    kind = damage.kind
    if kind in ("truncate",):
        lines[index] = line[:at]
    elif kind == "extend":
        lines[index] = line + b"," + damage.payload + b",extra"
    elif kind == "stray_quote":
        lines[index] = line[:at] + b'"' + line[at:]
    elif kind == "not_utf8":
        lines[index] = line[:at] + _pick(NOT_UTF8, damage) + line[at:]
    elif kind == "nul":
        lines[index] = line[:at] + b"\x00" + line[at:]
    elif kind == "whitespace":
        lines[index] = _around_field(line, at, _pick(ODD_WHITESPACE, damage))
    elif kind == "drop_line":
        del lines[index]
    elif kind == "value":
        lines[index] = re.sub(
            rb"(:\s*)[^\s#,}\]]+", lambda m: m.group(1) + damage.payload, line, count=1
        )
    elif kind == "cut_file":
        return data[: damage.position * len(data) // 200]
    else:
        return _file_damage(data, lines, index, damage)
    return b"\n".join(lines)


def _file_damage(data: bytes, lines: list[bytes], index: int, damage: Damage) -> bytes:
    kind = damage.kind
    if kind == "repeat_header":
        lines.insert(max(index, 1), lines[0])
    elif kind == "repeat_column":
        lines[0] = lines[0] + b"," + lines[0].split(b",")[damage.position % 2]
    elif kind == "absurd_number":
        return re.sub(
            rb"(?<=,)[0-9]+(\.[0-9]+)?(?=,|\n|$)", _pick(ABSURD_NUMBERS, damage), data, count=1
        )
    elif kind == "wrong_date":
        return re.sub(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}", _pick(WRONG_DATES, damage), data, count=1)
    elif kind == "blank_lines":
        lines[index:index] = [b""] * (1 + damage.position % 3)
    elif kind == "line_ends":
        return data.replace(b"\n", (b"\r\n", b"\r")[damage.position % 2])
    elif kind == "cycle":
        return _cycle(data, damage)
    return b"\n".join(lines)


def _cycle(data: bytes, damage: Damage) -> bytes:
    """Territories only: a territory's parent becomes another territory (often its own
    descendant: a cycle)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline="")))
    if len(rows) < 3 or "parent_territory_id" not in rows[0]:
        return data
    parent = rows[0].index("parent_territory_id")
    child = 1 + damage.line % (len(rows) - 1)
    rows[child][parent] = rows[1 + damage.position % (len(rows) - 1)][0]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _around_field(line: bytes, at: int, blank: bytes) -> bytes:
    """Odd whitespace around the field at byte ``at`` (leading or trailing)."""
    start = line.rfind(b",", 0, at) + 1
    return line[:start] + blank + line[start:] if at % 2 else line[:at] + blank + line[at:]


def _pick(options: list[bytes], damage: Damage) -> bytes:
    return damage.payload if damage.payload in options else options[damage.position % len(options)]


# --- what must hold ---------------------------------------------------------------------


def names_the_damage(message: str, damages: list[Damage]) -> bool:
    """A refusal's one line names a damaged file, or the policy (file and key)."""
    return any(damage.target in message for damage in damages)


def names_a_file(message: str) -> bool:
    """A failed run's one line names the file whose rows blocked it: not always the
    damaged one (a territory cut from its file quarantines the sellers homed there)."""
    return any(name in message for name in (*EXTRACT_FILES, POLICY))


def records(path: Path) -> int:
    """Non-blank records of a CSV file after its header, as the csv module splits them."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        rows = [row for row in csv.reader(handle) if row]
    return max(len(rows) - 1, 0)


def check_nothing_lost(con: duckdb.DuckDBPyConnection, extracts: Path, extract: str) -> None:
    path = extracts / f"{extract}.csv"
    raw_lines = [
        line for (line,) in con.execute(f"select _source_line from raw.{extract}").fetchall()
    ]
    malformed = [
        line
        for (line,) in con.execute(
            "select source_line from dq.quarantine where extract = ? and record_key is null "
            "and not starts_with(record, '{')",
            [extract],
        ).fetchall()
    ]
    lines = raw_lines + malformed
    assert len(lines) == len(set(lines)), f"{extract}: two rows on one line"
    assert all(line >= 2 for line in lines), f"{extract}: a row on the header's line"
    assert len(lines) == records(path), f"{extract}: {len(lines)} rows for {records(path)} records"


def load_or_refuse(extracts: Path, policy: Path, damages: list[Damage]) -> None:
    config = Settings(
        extracts_dir=extracts,
        warehouse=extracts.parent / "out" / "warehouse.duckdb",
        ops_db=extracts.parent / "out" / "ops.duckdb",
        policy_file=policy,
    )
    con = duckdb.connect()
    try:
        loaded_policy, _files = preflight(config)
        results = load_all(con, extracts, loaded_policy, LOADED_AT)
    except QuotaPipelineError as error:
        message = str(error)
        assert error.exit_code in (1, 2), message
        assert "\n" not in message and message.strip(), message
        assert names_the_damage(message, damages), message
        return
    for result in results:
        if result.source_file:
            check_nothing_lost(con, extracts, result.extract)
        check = _quarantine_check(
            result, loaded_policy.max_quarantine_share, raw_key(result.extract)
        )
        description = check.description or ""
        assert "\n" not in description, description
        if result.quarantined:
            assert description.startswith(f"{result.source_file}:"), description


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(damages=DAMAGES)
def test_random_damage_loads_quarantines_or_refuses_in_one_line(damages: list[Damage]) -> None:
    with tempfile.TemporaryDirectory(prefix="damage-") as folder:
        extracts = Path(folder) / "extracts"
        shutil.copytree(SMALL_FIXTURE, extracts)
        policy = Path(folder) / POLICY
        shutil.copy(POLICY_FILE, policy)
        for damage in damages:
            apply(damage, extracts, policy)
        load_or_refuse(extracts, policy, damages)


@pytest.mark.slow
@settings(
    max_examples=3,
    deadline=None,
    database=None,
    phases=[Phase.generate],  # a CLI run is 15-60 s: no shrinking in CI, the example is printed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(damages=DAMAGES)
def test_random_damage_through_the_cli_never_changes_an_unpublished_warehouse(
    damages: list[Damage], baseline: Workspace
) -> None:
    with tempfile.TemporaryDirectory(prefix="damage-cli-") as folder:
        workspace = copy_baseline(baseline, Path(folder) / "ws")
        for damage in damages:
            apply(damage, workspace.extracts, workspace.policy)
        before = file_digest(workspace.warehouse)
        result = run_cli(workspace, "--force")
        output = result.stdout + result.stderr
        assert result.returncode in (0, 1, 2), output
        assert "Traceback" not in output, output
        if result.returncode == 0:
            return  # published (or, with --force, rebuilt): the new file is a whole run
        reasons = [
            line for line in result.stderr.splitlines() if line.startswith("quota-pipeline: ")
        ]
        assert len(reasons) == 1, output
        if result.returncode == 2:
            assert names_the_damage(reasons[0], damages), reasons[0]
        assert names_a_file(reasons[0]), reasons[0]
        assert file_digest(workspace.warehouse) == before, output
