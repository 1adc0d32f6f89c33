"""The operations database: an ops database written before a column existed gains it."""

from __future__ import annotations

from datetime import datetime

import duckdb

from quota_pipeline.publish.opsdb import RunRecord, record_run


def test_an_older_run_log_gains_checks_warned_and_keeps_its_rows(tmp_path):
    ops = tmp_path / "ops.duckdb"
    with duckdb.connect(str(ops)) as con:  # run_log as written before warnings were apart
        con.execute(
            "create table run_log (run_id varchar primary key, started_at timestamp, "
            "finished_at timestamp, status varchar not null, rows_in bigint, "
            "rows_quarantined bigint, checks_failed integer, message varchar)"
        )
        con.execute("insert into run_log values ('old', null, null, 'success', 5, 0, 1, null)")
    finished = datetime(2026, 12, 1, 2)
    record_run(ops, RunRecord("new", None, finished, "success", checks_failed=0, checks_warned=1))
    with duckdb.connect(str(ops), read_only=True) as con:
        rows = con.execute(
            "select run_id, checks_failed, checks_warned from run_log order by run_id"
        ).fetchall()
    assert rows == [("new", 0, 1), ("old", 1, None)]
