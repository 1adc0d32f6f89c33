"""The last published risk.quota_risk the outlook's change columns compare with."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from quota_pipeline.risk.previous import read_published_quota_risk


def test_no_published_warehouse_is_a_first_run(tmp_path: Path) -> None:
    assert read_published_quota_risk(tmp_path / "warehouse.duckdb") is None


def test_a_warehouse_without_the_table_is_a_first_run(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    assert read_published_quota_risk(path) is None


def test_the_published_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema risk")
        con.execute(
            "create table risk.quota_risk as select 'FY2027-Q1' as period, 'S1' as seller_id, "
            "100.00::decimal(18,2) as quota, 90.00::decimal(18,2) as sum_account_targets, "
            "'low' as risk_level"
        )
    frame = read_published_quota_risk(path)
    assert frame is not None
    assert frame.rows() == [("FY2027-Q1", "S1", Decimal("100.00"), Decimal("90.00"))]
