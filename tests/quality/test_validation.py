"""Real GX validations on the small extracts, clean and broken, and on drift profiles."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from support import SMALL_FIXTURE

from quota_pipeline.ingest.loader import load_all
from quota_pipeline.ingest.specs import SPECS
from quota_pipeline.quality.gx_project import docs_index, wait_for_data_docs
from quota_pipeline.quality.sql_engine import generic_type, shared_catalog
from quota_pipeline.quality.suites import load_suite, raw_frame_sql, suite_parameters
from quota_pipeline.quality.validation import (
    SuiteOptions,
    read_frame,
    validate_frame,
    validate_query,
)


@pytest.fixture(scope="module")
def gx_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("quality")


def load(folder: Path, policy) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_all(con, folder, policy, datetime(2026, 11, 27))
    return con


def validate_raw(con, extract: str, gx_folder: Path, policy, sql: str | None = None):
    return validate_query(
        gx_folder,
        load_suite(f"raw.{extract}"),
        con,
        sql or raw_frame_sql(SPECS[extract]),
        SuiteOptions(parameters=suite_parameters(policy)),
    )


@pytest.fixture(scope="module")
def clean(policy) -> duckdb.DuckDBPyConnection:
    return load(SMALL_FIXTURE, policy)


def test_clean_extracts_pass_every_raw_suite(clean, gx_folder, policy):
    for extract in SPECS:
        outcome = validate_raw(clean, extract, gx_folder, policy)
        assert outcome.success, (extract, [f.line() for f in outcome.failed])
        assert outcome.evaluated >= 5
    wait_for_data_docs()  # rendered behind the validations
    assert docs_index(gx_folder).exists()


def test_broken_extract_fails_with_lines_keys_and_reasons(tmp_path, gx_folder, policy):
    broken = tmp_path / "extracts"
    shutil.copytree(SMALL_FIXTURE, broken)
    with (broken / "account_targets.csv").open("a", encoding="utf-8") as handle:
        handle.write("A01,FY2027-Q2,-5,EUR\nA99,FY2027-Q2,10,EUR\n")
    con = load(broken, policy)
    outcome = validate_raw(con, "account_targets", gx_folder, policy)
    assert not outcome.success
    (failed,) = outcome.failed
    assert failed.expectation == "expect_column_values_to_be_null"
    assert failed.unexpected_count == 3  # the duplicate quarantines both rows
    text = " ".join(failed.examples)
    assert "line 17 [A01|FY2027-Q2]: target_amount -5 is negative" in text
    assert "line 18 [A99|FY2027-Q2]: account_id A99 is not a known account" in text
    wait_for_data_docs()
    assert outcome.docs_page is not None and outcome.docs_page.read_text().startswith("<!")


def test_rows_the_loader_let_through_fail_contract_rules(clean, gx_folder, policy):
    con = clean.cursor()
    con.execute("create temp table periods as select * from raw.fiscal_periods")
    con.execute("update periods set end_date = '2026-01-01' where period = 'FY2027-Q2'")
    sql = raw_frame_sql(SPECS["fiscal_periods"], "periods")
    outcome = validate_raw(con, "fiscal_periods", gx_folder, policy, sql)
    lines = [f.line() for f in outcome.failed]
    assert len(lines) == 1 and "end_date >= start_date: 1 unexpected rows" in lines[0]
    assert "2026-01-01" in lines[0]


def drift_frame(ratio: float | None, null_share: float = 0.0):
    con = duckdb.connect()
    ratio = "null" if ratio is None else ratio
    return read_frame(
        con,
        f"select 'FY2027-Q1' as period, 100 as row_count, 1000.0 as target_total, "
        f"{null_share} as null_target_share, {ratio}::double as row_count_ratio, "
        f"{ratio}::double as target_total_ratio",
    )


def test_drift_band_and_null_share_from_policy(gx_folder, policy):
    suite = load_suite("marts.seller_target_rollup")
    options = SuiteOptions(parameters=suite_parameters(policy))
    ok = validate_frame(gx_folder, suite, drift_frame(1.1), options)
    assert ok.success and not ok.skipped
    moved = validate_frame(gx_folder, suite, drift_frame(2.0, 0.9), options)
    failed = {f.column for f in moved.failed}
    assert failed == {"row_count_ratio", "target_total_ratio", "null_target_share"}
    assert all(f.unexpected_count == 1 for f in moved.failed)


def test_drift_skipped_without_a_published_run(gx_folder, policy):
    outcome = validate_frame(
        gx_folder,
        load_suite("risk.quota_risk"),
        drift_frame(None),
        SuiteOptions(parameters=suite_parameters(policy), has_previous=False),
    )
    assert outcome.success and len(outcome.skipped) == 2


def test_rules_run_in_duckdb_types_codes_and_nothing_left_attached(clean, gx_folder, policy):
    """Type and currency-code expectations hold on DuckDB; the rows' catalog is gone after."""
    con = clean.cursor()
    con.execute("create temp table targets as select * from raw.account_targets")
    con.execute("update targets set currency_iso = 'eur' where _source_line = 2")
    sql = raw_frame_sql(SPECS["account_targets"], "targets").replace(
        "try_cast(t.target_amount as double)", "t.target_amount"
    )
    outcome = validate_raw(con, "account_targets", gx_folder, policy, sql)
    failed = {f.expectation: f for f in outcome.failed}
    assert set(failed) == {
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_between",  # text compared with 0
        "expect_column_values_to_be_in_set",
    }
    assert failed["expect_column_values_to_be_of_type"].observed == "String"
    code = failed["expect_column_values_to_be_in_set"]
    assert code.column == "currency_iso__is_code" and code.unexpected_count == 1
    assert outcome.rows == con.execute("select count(*) from targets").fetchall()[0][0]
    databases = [
        row[0] for row in con.sql("select database_name from duckdb_databases()").fetchall()
    ]
    assert not [name for name in databases if name.startswith("gx_frame")]
    assert not list(gx_folder.rglob("*.duckdb"))


def test_gx_connects_only_to_a_lent_connection():
    engine = sa.create_engine("duckdb+quota_validation:///some/file.duckdb")
    with pytest.raises(ValueError, match="not a lent DuckDB connection"):
        engine.connect()
    con = duckdb.connect()
    con.execute("attach ':memory:' as rows_catalog")
    con.execute("create table rows_catalog.main.t as select 1 as x")
    with shared_catalog(con, "rows_catalog") as url, sa.create_engine(url).connect() as lent:
        assert lent.execute(sa.text("select x from t")).scalar() == 1
        columns = sa.inspect(lent).get_columns("t")
    assert [(c["name"], type(c["type"])) for c in columns] == [("x", sa.Integer)]


def test_a_key_repeated_on_accepted_rows_fails_with_its_rows(clean, gx_folder, policy):
    con = clean.cursor()
    con.execute("create temp table repeated as select * from raw.accounts")
    con.execute(
        "update repeated set account_id = (select min(account_id) from raw.accounts) "
        "where _source_line = (select max(_source_line) from raw.accounts)"
    )
    sql = raw_frame_sql(SPECS["accounts"], "repeated")
    outcome = validate_raw(con, "accounts", gx_folder, policy, sql)
    (failed,) = outcome.failed
    assert failed.expectation == "expect_column_values_to_be_null"
    assert failed.column == "_repeated_key" and failed.unexpected_count == 2
    assert "2 unexpected rows" in failed.line()
    first = con.execute("select min(account_id) from raw.accounts").fetchall()[0][0]
    assert any(f"[{first}]: 2 accepted rows share this key" in e for e in failed.examples)


def test_duckdb_types_map_to_sqlalchemy_generic_types():
    assert isinstance(generic_type("DOUBLE"), sa.Float)
    assert isinstance(generic_type("DECIMAL(18,2)"), sa.Numeric)
    assert isinstance(generic_type("varchar"), sa.String)
    assert isinstance(generic_type("BIGINT"), sa.Integer)
    assert isinstance(generic_type("STRUCT(a INTEGER)"), sa.types.NullType)


def test_only_the_newest_results_and_pages_are_kept(tmp_path, clean, policy):
    folder = tmp_path / "quality"
    for _ in range(3):
        outcome = validate_query(
            folder,
            load_suite("raw.fx_rates"),
            clean,
            raw_frame_sql(SPECS["fx_rates"]),
            SuiteOptions(parameters=suite_parameters(policy), keep_results=2),
        )
    wait_for_data_docs()
    uncommitted = folder / "gx" / "uncommitted"
    results = sorted((uncommitted / "validations" / "raw" / "fx_rates").glob("*/*/*.json"))
    pages = sorted(
        (uncommitted / "data_docs" / "local_site" / "validations" / "raw" / "fx_rates").glob(
            "*/*/*.html"
        )
    )
    assert len(results) == len(pages) == 2
    assert outcome.docs_page == pages[-1]
    index = docs_index(folder).read_text(encoding="utf-8")
    assert pages[0].parent.name in index and pages[1].parent.name in index


def test_gx_imported_in_background_is_the_one_validations_use():
    """The ingest step starts GX's import on a thread; SQLAlchemy's ORM, shared with
    Dagster's storage on the calling thread, is complete before that thread starts."""
    import sys

    from quota_pipeline.quality import gx_project

    thread = gx_project.import_gx_in_background()
    assert "sqlalchemy.orm" in sys.modules
    assert not getattr(sys.modules["sqlalchemy.orm"].__spec__, "_initializing", False)
    thread.join(timeout=120)
    assert not thread.is_alive()
    gx = gx_project.gx_module()
    assert gx is sys.modules["great_expectations"]
    assert gx.get_context is not None
