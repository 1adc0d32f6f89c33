"""Security on the real ingest and files: values are data, never SQL; extract
paths stay inside the extracts folder; the Dagster webserver is started on 127.0.0.1.

Secrets kept out of output and metadata are checked on a real failing CLI run in
test_bad_input_cli.py (alert channels configured with secret values).
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from reliability_helpers import read_rows, write_rows
from support import POLICY_FILE, REPO, SMALL_FIXTURE

from quota_pipeline.errors import ExtractError, PolicyError
from quota_pipeline.ingest.files import find_extract_file
from quota_pipeline.ingest.loader import load_all
from quota_pipeline.ingest.specs import SPECS
from quota_pipeline.policy import Policy, load_policy

INJECTION = "x'); drop table raw.accounts; --"
IDENTIFIER_INJECTION = 'note"; drop table raw.sellers; --'


def _copy(tmp_path: Path, name: str = "extracts") -> Path:
    target = tmp_path / name
    shutil.copytree(SMALL_FIXTURE, target)
    return target


def test_sql_in_values_headers_and_paths_is_handled_as_data(tmp_path: Path, policy: Policy) -> None:
    # A folder name that would break a concatenated path literal.
    extracts = _copy(tmp_path, 'it\'s "quoted"; drop')
    accounts = extracts / "accounts.csv"
    rows = read_rows(accounts)
    header = rows[0]
    evil = dict.fromkeys(header, INJECTION)
    evil.update(annual_revenue="1", territory_id="DACH", owner_seller_id="S1")
    rows.append([evil[column] for column in header])
    write_rows(accounts, rows)
    sellers = extracts / "sellers.csv"
    rows = read_rows(sellers)
    write_rows(sellers, [[*rows[0], IDENTIFIER_INJECTION], *([*r, INJECTION] for r in rows[1:])])

    con = duckdb.connect()
    load_all(con, extracts, policy, datetime(2026, 11, 27))
    tables = {row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert {"accounts", "sellers", "quarantine"} <= tables
    stored = con.execute(
        "select account_name, industry, _is_quarantined, _quarantine_reason "
        "from raw.accounts where account_id = $id",
        {"id": INJECTION},
    ).fetchall()
    assert len(stored) == 1
    name, industry, quarantined, reason = stored[0]
    assert (name, industry, quarantined) == (INJECTION, INJECTION, True)
    # The value comes back verbatim inside the reason: it was a string, never SQL.
    assert f"segment {INJECTION} is not one of enterprise, mid_market, smb" in reason
    assert con.execute(
        f'select distinct "{IDENTIFIER_INJECTION.replace(chr(34), 2 * chr(34))}" from raw.sellers'
    ).fetchall() == [(INJECTION,)]
    assert con.execute("select count(*) from raw.sellers").fetchall()[0][0] == 4


def test_policy_strings_are_validated_before_any_sql(tmp_path: Path) -> None:
    text = POLICY_FILE.read_text(encoding="utf-8")
    evil = tmp_path / "policy.yaml"
    evil.write_text(
        text.replace("corporate_currency: USD", f'corporate_currency: "{INJECTION}"'),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="corporate_currency") as raised:
        load_policy(evil)
    assert raised.value.exit_code == 2


def test_symlink_out_of_the_extracts_folder_is_refused(tmp_path: Path) -> None:
    extracts = _copy(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("seller_id,period,quota_amount,currency_iso\nX,Y,1,USD\n")
    (extracts / "quotas.csv").unlink()
    (extracts / "quotas.csv").symlink_to(secret)
    with pytest.raises(ExtractError, match="points outside the extracts folder"):
        find_extract_file(extracts, SPECS["quotas"])
    # A relative escape and a chain through a link inside the folder are refused too.
    (extracts / "quotas.csv").unlink()
    (extracts / "quotas.csv").symlink_to(Path("..") / "secret.csv")
    with pytest.raises(ExtractError, match="points outside the extracts folder"):
        find_extract_file(extracts, SPECS["quotas"])
    (extracts / "quotas.csv").unlink()
    (extracts / "hop.csv").symlink_to(secret)
    (extracts / "quotas.csv").symlink_to(extracts / "hop.csv")
    with pytest.raises(ExtractError, match="points outside the extracts folder"):
        find_extract_file(extracts, SPECS["quotas"])


def test_symlink_inside_the_extracts_folder_is_followed(tmp_path: Path) -> None:
    extracts = _copy(tmp_path)
    (extracts / "quotas.csv").rename(extracts / "quotas-2026-11-27.csv")
    (extracts / "quotas.csv").symlink_to("quotas-2026-11-27.csv")
    found = find_extract_file(extracts, SPECS["quotas"])
    assert found.path == (extracts / "quotas-2026-11-27.csv").resolve()


def test_dagster_webserver_binds_localhost() -> None:
    """Every command that starts the UI passes -h 127.0.0.1; nothing says 0.0.0.0."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    starts = [line for line in makefile.splitlines() if re.search(r"\b(dagster|dg) dev\b", line)]
    assert starts, "make dev no longer starts the Dagster UI"
    for line in starts:
        assert re.search(r"(-h|--host)\s+127\.0\.0\.1\b", line), line
    for document in (REPO / "Makefile", REPO / "README.md", REPO / "workspace.yaml"):
        assert "0.0.0.0" not in document.read_text(encoding="utf-8"), document
    assert "127.0.0.1" in (REPO / "README.md").read_text(encoding="utf-8")
