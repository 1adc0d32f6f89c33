"""`quota-pipeline whatif` against the truth: a nightly run on extracts edited by hand.

For each kind of change alone and all together, the scenario's raw, dq, marts and risk
tables must equal, row for row, what `quota-pipeline run` publishes from the small
fixture's extracts edited the same way (that run publishes over a copy of the baseline, so
its "last published run" is the scenario's baseline too). The published warehouse's bytes,
its history and the run log stay as they were; bad changes exit 2 with one line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from scenario_helpers import environment
from support import cli

from quota_pipeline.ingest.specs import SPECS

pytestmark = pytest.mark.slow

COMPARED_SCHEMAS = ("raw", "dq", "marts", "risk")
LOAD_TIME_COLUMNS = ("_loaded_at", "loaded_at")

HIRE = {
    "seller_id": "HIRE-1", "seller_name": "DACH hire 1", "territory_id": "DACH",
    "role": "Account Executive", "seniority": "mid", "hire_date": "2025-02-01",
    "ote_amount": "150000", "currency_iso": "USD", "strategic_focus": None, "status": "active",
}  # fmt: skip
CASES: dict[str, dict[str, list[dict[str, str | None]]]] = {
    "quotas": {
        "quotas": [
            {
                "seller_id": "S1",
                "period": "FY2027-Q1",
                "quota_amount": "120000",
                "currency_iso": "USD",
            },
            {
                "seller_id": "S3",
                "period": "FY2027-Q2",
                "quota_amount": "90000.50",
                "currency_iso": "EUR",
            },
        ]
    },
    "account_owners": {
        "account_owners": [
            {"account_id": "A02", "owner_seller_id": "S2"},
            {"account_id": "A03", "owner_seller_id": "S3"},
            {"account_id": "A04", "owner_seller_id": None},
        ]
    },
    "new_sellers": {"new_sellers": [HIRE]},
    "all": {
        "quotas": [
            {
                "seller_id": "S1",
                "period": "FY2027-Q1",
                "quota_amount": "120000",
                "currency_iso": "USD",
            },
            {
                "seller_id": "HIRE-1",
                "period": "FY2027-Q1",
                "quota_amount": "50000",
                "currency_iso": "USD",
            },
        ],
        "account_owners": [
            {"account_id": "A02", "owner_seller_id": "HIRE-1"},
            {"account_id": "A03", "owner_seller_id": "S3"},
        ],
        "new_sellers": [HIRE],
    },
}
OVERRIDE = {
    "account_id": "A01", "period": "FY2027-Q1", "target_amount": "50000",
    "currency_iso": "USD", "reason": "churn risk", "overridden_by": None,
}  # fmt: skip
if "target_overrides" in SPECS:
    CASES["target_overrides"] = {"target_overrides": [OVERRIDE]}
    CASES["all"]["target_overrides"] = [OVERRIDE]
# The list of a change and how a planner edits the extract for it.
EDITS = {"quotas": ("quotas", "upsert"), "account_owners": ("accounts", "update"),
         "new_sellers": ("sellers", "append"), "target_overrides": ("target_overrides", "upsert")}  # fmt: skip


def edit_extracts(source: Path, target: Path, changes: dict[str, list[dict]]) -> None:
    """The planner's hand edit: rows updated in place, new rows after the last line."""
    shutil.copytree(source, target)
    for kind, entries in changes.items():
        extract, mode = EDITS[kind]
        spec = SPECS[extract]
        path = target / f"{extract}.csv"
        if not path.exists():
            path.write_text(",".join(spec.column_names) + "\n", encoding="utf-8")
        lines = path.read_text(encoding="utf-8").splitlines()
        header = next(csv.reader([lines[0]]))
        for entry in entries:
            key = [entry[name] for name in spec.key]
            for index, line in enumerate(lines[1:], start=1):
                row = dict(zip(header, next(csv.reader([line])), strict=True))
                if mode != "append" and [row[name] for name in spec.key] == key:
                    row.update({k: "" if v is None else v for k, v in entry.items()})
                    lines[index] = _csv_line([row[name] for name in header])
                    break
            else:
                lines.append(_csv_line(["" if entry.get(n) is None else entry[n] for n in header]))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def table_differences(expected: Path, actual: Path) -> list[str]:
    """Every difference of raw, dq, marts and risk between two warehouses (load times aside)."""
    problems: list[str] = []
    with duckdb.connect() as con:
        con.execute(f"attach '{expected}' as e (read_only)")
        con.execute(f"attach '{actual}' as a (read_only)")
        listing = (
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where database_name = $db and schema_name in $schemas"
        )
        tables = {
            db: {
                row[0]
                for row in con.execute(
                    listing, {"db": db, "schemas": list(COMPARED_SCHEMAS)}
                ).fetchall()
            }
            for db in ("e", "a")
        }
        if tables["e"] != tables["a"]:
            problems.append(f"tables differ: {sorted(tables['e'] ^ tables['a'])}")
        for table in sorted(tables["e"] & tables["a"]):
            described = {
                db: [
                    (name, kind)
                    for name, kind, *_ in con.execute(f"describe {db}.{table}").fetchall()
                    if name not in LOAD_TIME_COLUMNS
                ]
                for db in ("e", "a")
            }
            if described["e"] != described["a"]:
                problems.append(f"{table}: columns differ {described}")
                continue
            columns = ", ".join(f'"{name}"' for name, _kind in described["e"])
            for left, right in (("e", "a"), ("a", "e")):
                extra = con.execute(
                    f"select * from (select {columns} from {left}.{table} except all "
                    f"select {columns} from {right}.{table}) limit 3"
                ).fetchall()
                if extra:
                    problems.append(f"{table}: rows only in {left}: {extra}")
    return problems


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_log_rows(ops_db: Path) -> list[tuple]:
    with duckdb.connect(str(ops_db), read_only=True) as con:
        return con.execute("select * from run_log order by all").fetchall()


@pytest.mark.parametrize("case", sorted(CASES))
def test_scenario_equals_a_nightly_run_on_hand_edited_extracts(baseline, case, tmp_path):
    published = Path(baseline["QUOTA_WAREHOUSE"])
    ops_db = Path(baseline["QUOTA_OPS_DB"])
    history = sorted(p.name for p in (published.parent / "history").iterdir())
    before, log_before = digest(published), run_log_rows(ops_db)
    changes_file = tmp_path / "CHANGES.yaml"
    changes_file.write_text(yaml.safe_dump({"name": f"case-{case}", **CASES[case]}), "utf-8")

    scenario = cli(baseline, "whatif", str(changes_file))

    assert scenario.returncode == 0, scenario.stderr
    assert digest(published) == before
    assert sorted(p.name for p in (published.parent / "history").iterdir()) == history
    assert run_log_rows(ops_db) == log_before
    scenario_file = published.parent / "scenarios" / f"case-{case}.duckdb"
    assert (published.parent / "scenarios" / f"case-{case}.html").exists()

    # The truth: the same edit by hand, a nightly run publishing over a copy of the baseline.
    nightly = tmp_path / "nightly"
    nightly.mkdir()
    shutil.copy2(published, nightly / "warehouse.duckdb")
    edit_extracts(Path(baseline["QUOTA_EXTRACTS_DIR"]), tmp_path / "edited", CASES[case])
    ran = cli(environment(nightly, tmp_path / "edited"), "run", "--force")
    assert ran.returncode == 0, ran.stderr + ran.stdout

    assert table_differences(nightly / "warehouse.duckdb", scenario_file) == []
    if case in ("account_owners", "all"):
        assert "account_owners[1]: account A03 moves to S3, who is terminated" in scenario.stdout


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "quotas": [
                    {
                        "seller_id": "S999",
                        "period": "FY2027-Q1",
                        "quota_amount": "1",
                        "currency_iso": "USD",
                    }
                ]
            },
            "CHANGES.yaml: quotas[0]: unknown seller S999",
        ),
        (
            {
                "quotas": [
                    {
                        "seller_id": "S1",
                        "period": "FY2027-Q1",
                        "quota_amount": "1",
                        "currency_iso": "USD",
                    },
                    {
                        "seller_id": "S2",
                        "period": "FY2027-Q1",
                        "quota_amount": "-5",
                        "currency_iso": "USD",
                    },
                ]
            },
            "CHANGES.yaml: quotas[1]: quota_amount -5 is negative",
        ),
        (
            {
                "quotas": [
                    {
                        "seller_id": "S1",
                        "period": "FY2099-Q9",
                        "quota_amount": "1",
                        "currency_iso": "USD",
                    }
                ]
            },
            "CHANGES.yaml: quotas[0]: unknown period FY2099-Q9",
        ),
        (
            {"account_owners": [{"account_id": "A999", "owner_seller_id": "S1"}]},
            "CHANGES.yaml: account_owners[0]: unknown account A999",
        ),
        (
            {"account_owners": [{"account_id": "A01", "owner_seller_id": "S999"}]},
            "CHANGES.yaml: account_owners[0]: unknown seller S999",
        ),
        (
            {"new_sellers": [{**HIRE, "territory_id": "MARS"}]},
            "CHANGES.yaml: new_sellers[0]: unknown territory MARS",
        ),
        (
            {"new_sellers": [{**HIRE, "seniority": "guru"}]},
            "CHANGES.yaml: new_sellers[0]: seniority guru is not one of junior, mid, senior, principal",
        ),
        (
            {"new_sellers": [{**HIRE, "seller_id": "S1"}]},
            "CHANGES.yaml: new_sellers[0]: duplicate key (seller_id)",
        ),
    ],
)
def test_bad_change_exits_2_with_one_line_and_writes_nothing(baseline, changes, message, tmp_path):
    published = Path(baseline["QUOTA_WAREHOUSE"])
    before = digest(published)
    changes_file = tmp_path / "CHANGES.yaml"
    changes_file.write_text(yaml.safe_dump({"name": "bad", **changes}), "utf-8")

    refused = cli(baseline, "whatif", str(changes_file))

    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"quota-pipeline: {message}"), lines
    assert "Traceback" not in refused.stderr
    assert digest(published) == before
    assert not (published.parent / "scenarios" / "bad.duckdb").exists()


def test_scenarios_lists_and_query_reads_a_scenario_read_only(baseline, tmp_path):
    changes_file = tmp_path / "CHANGES.yaml"
    changes_file.write_text(yaml.safe_dump({"name": "ignored", **CASES["quotas"]}), "utf-8")
    assert cli(baseline, "whatif", str(changes_file), "--name", "listed").returncode == 0

    listed = cli(baseline, "scenarios")
    assert listed.returncode == 0
    assert any(line.startswith("listed ") for line in listed.stdout.splitlines()), listed.stdout

    read = cli(
        baseline, "query", "--scenario", "listed", "--format", "csv",
        "select seller_id, baseline_quota, scenario_quota, risk_direction from compare.sellers "
        "where period = 'FY2027-Q1' and seller_id = 'S1'",
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines()[1] == "S1,220000.00,120000.00,same"

    scenario_file = Path(baseline["QUOTA_WAREHOUSE"]).parent / "scenarios" / "listed.duckdb"
    with duckdb.connect(str(scenario_file), read_only=True) as con:
        outlook = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'risk' "
            "and table_name = 'seller_outlook'"
        ).fetchall()[0][0]
        missing_probability = con.execute(
            "select count(*) from compare.sellers c join risk.quota_risk r using (period, "
            "seller_id) where c.scenario_attainment_probability is null"
        ).fetchall()[0][0]
    if outlook:  # compare.sellers takes the probability from risk.seller_outlook
        assert missing_probability == 0

    refused = cli(baseline, "query", "--scenario", "listed", "delete from risk.quota_risk")
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("quota-pipeline: refused: DELETE statement")
    missing = cli(baseline, "query", "--scenario", "nope", "select 1")
    assert missing.returncode == 2 and "no scenario nope" in missing.stderr
