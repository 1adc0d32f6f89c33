"""The not_null_columns generic test (tests/generic/not_null_columns.sql): one scan of a
model finds every listed column that holds a null, and says how many rows.

It replaces one not_null test per column in the nightly build, so it must fail exactly
where those would: rendered from the dbt project and run in DuckDB on small tables.
"""

from __future__ import annotations

import duckdb
import pytest
from jinja2 import Environment

from quota_pipeline.settings import DBT_PROJECT_DIR


def _rendered(model: str, columns: list[str]) -> str:
    text = (DBT_PROJECT_DIR / "tests" / "generic" / "not_null_columns.sql").read_text()
    # a dbt test block is a macro with another keyword
    text = text.replace("{% test ", "{% macro ").replace("{% endtest %}", "{% endmacro %}")
    module = Environment().from_string(text).module
    return str(module.not_null_columns(model, columns))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table rollup as select * from (values"
        " ('S1', 'FY2027-Q1', 10, 'active'),"
        " ('S2', null, 20, 'active'),"
        " ('S3', null, null, 'active'),"
        " ('S4', 'FY2027-Q1', 40, 'on_leave')"
        ") as t(seller_id, period, account_count, seller_status)"
    )
    return con


def test_a_row_per_column_with_nulls_and_their_count(con):
    sql = _rendered("rollup", ["seller_id", "period", "account_count", "seller_status"])
    rows = sorted(con.execute(sql).fetchall())
    assert rows == [("account_count", 1), ("period", 2)]


def test_no_row_when_the_listed_columns_hold_no_null(con):
    assert con.execute(_rendered("rollup", ["seller_id", "seller_status"])).fetchall() == []
    con.execute("delete from rollup where period is null")
    sql = _rendered("rollup", ["seller_id", "period", "account_count"])
    assert con.execute(sql).fetchall() == []


def test_an_empty_model_passes(con):
    con.execute("delete from rollup")
    assert con.execute(_rendered("rollup", ["seller_id", "period"])).fetchall() == []
