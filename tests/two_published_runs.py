"""Two real published runs (CLI subprocesses) with a reader process holding the warehouse.

The concurrency, rollback, docs and browser tests share them through the session fixture
``published_runs`` (tests/conftest.py): a full run costs about a minute of Dagster, dbt and
GX start-up whatever the data size, so it is paid twice per session, not per test. Run B
changes a third of the quotas so risk levels move.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support import POLICY_FILE, cli

from quota_pipeline.generate.synthetic import generate_extracts

# A reader that opens the published warehouse read-only once, then queries it every 50 ms
# until told to stop: every answer (or error) is one line on stdout.
READER = """
import sys, time, pathlib, duckdb
warehouse, stop = sys.argv[1], pathlib.Path(sys.argv[2])
con = duckdb.connect(warehouse, read_only=True)
def answer():
    try:
        row = con.execute("select count(*), sum(quota) from risk.quota_risk").fetchall()[0]
        return f"ok {row[0]} {row[1]}"
    except Exception as error:
        return "error " + " ".join(str(error).split())
print(answer(), flush=True)
while not stop.exists():
    print(answer(), flush=True)
    time.sleep(0.05)
print(answer(), flush=True)
con.close()
"""


@dataclass(frozen=True)
class PublishedRuns:
    root: Path
    warehouse: Path
    ops_db: Path
    env: dict[str, str]
    first_run_id: str
    second_run_id: str
    reader_lines: list[str]
    first_answer: str
    second_answer: str
    second_run_seconds: float


def answer(warehouse: Path) -> str:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select count(*), sum(quota) from risk.quota_risk").fetchall()[0]
    return f"ok {row[0]} {row[1]}"


def raise_quotas(folder: Path) -> None:
    """Every third quota x 1.6: those sellers' risk levels move in run B."""
    path = folder / "quotas.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    column = rows[0].index("quota_amount")
    for index, row in enumerate(rows[1:]):
        if index % 3 == 0 and row[column]:
            row[column] = f"{float(row[column]) * 1.6:.2f}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def run_id_of(output: str) -> str:
    for line in output.splitlines():
        if line.strip().startswith("run id:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no run id in:\n{output}")


def publish_two_runs(root: Path) -> PublishedRuns:
    """Run A, then run B while a reader holds the warehouse open; both published under root."""
    first, second = root / "extracts_a", root / "extracts_b"
    generate_extracts(first, accounts=1_500, seed=5)
    generate_extracts(second, accounts=1_500, seed=5)
    raise_quotas(second)
    warehouse = root / "out" / "warehouse.duckdb"
    env = {
        **os.environ,
        "QUOTA_WAREHOUSE": str(warehouse),
        "QUOTA_OPS_DB": str(root / "out" / "ops.duckdb"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "QUOTA_POLICY": str(POLICY_FILE),
    }
    (root / "dagster_home").mkdir()
    run_a = cli(env, "run", "--extracts", str(first))
    assert run_a.returncode == 0, run_a.stdout + run_a.stderr
    first_answer = answer(warehouse)

    stop = root / "stop-reader"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert reader.stdout is not None
        opened = reader.stdout.readline().strip()  # the reader holds the file from here on
        started = time.perf_counter()
        run_b = cli(env, "run", "--extracts", str(second))
        seconds = time.perf_counter() - started
        assert run_b.returncode == 0, run_b.stdout + run_b.stderr
        second_answer = answer(warehouse)  # a connection opened after the publish
        stop.touch()
        rest, _ = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    return PublishedRuns(
        root=root,
        warehouse=warehouse,
        ops_db=root / "out" / "ops.duckdb",
        env=env,
        first_run_id=run_id_of(run_a.stdout),
        second_run_id=run_id_of(run_b.stdout),
        reader_lines=[opened, *rest.strip().splitlines()],
        first_answer=first_answer,
        second_answer=second_answer,
        second_run_seconds=seconds,
    )
