"""An analyst holding the operations database open must not crash the run that records.

CONTRACT section 4: analyst tools attach the ops database read-only. DuckDB then holds a
file lock that refuses a writer in another process, so the run's run_log write waits for
the reader to let go (up to opsdb.LOCK_WAIT_SECONDS) instead of dying with a traceback.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb

from quota_pipeline.publish.opsdb import RunRecord, record_run

HOLD_SECONDS = 2.0


def test_run_log_write_waits_for_a_reader_in_another_process(tmp_path: Path) -> None:
    ops = tmp_path / "ops.duckdb"
    record_run(ops, RunRecord("first", None, datetime(2026, 11, 27, 2), "success"))
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "print('open', flush=True)\n"
            f"time.sleep({HOLD_SECONDS})\n",
            str(ops),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
        started = time.monotonic()
        record_run(ops, RunRecord("second", None, datetime(2026, 11, 27, 3), "failed"))
        waited = time.monotonic() - started
    finally:
        reader.wait(timeout=30)
    assert waited > 0.5  # it really had to wait for the reader
    with duckdb.connect(str(ops), read_only=True) as con:
        assert con.execute("select run_id from run_log order by run_id").fetchall() == [
            ("first",),
            ("second",),
        ]
