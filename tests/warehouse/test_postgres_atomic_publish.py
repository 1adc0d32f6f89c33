"""On PostgreSQL a reader sees one whole run, and a failed run publishes nothing.

Why: the run builds into ``<schema>__next`` schemas and the publish step renames all of
them into place in one transaction (docs/contract.md section 4 gives the same promise for
the DuckDB file). Each built schema carries the run's id in ``<schema>.run_stamp`` and
every publish adds a row to ``ops_publish.published_run``, so one SQL statement can tell
which run each published schema comes from.

One sequence of real `quota-pipeline run`s on the small fixture (each run is 40-150 s on
two cores, so the runs are shared by the assertions):

1. run A publishes: every schema stamped A, the marker says A, no ``__next`` left;
2. run B is SIGKILLed (with dbt) once its risk step starts, after dbt built every model
   into the ``__next`` schemas: the published schemas are still A's, B's are left over;
3. run C publishes: B's leftovers were dropped at its start, everything is C's.

A reader thread polls from the end of run A to the end of run C and never sees two runs'
ids in one statement, nor a marker that disagrees with the tables.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import CLI, POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.warehouse.postgres import (
    BUILD_SUFFIX,
    ENGINE_SCHEMAS,
    OLD_SUFFIX,
    PUBLISH_MARKER,
    RUN_STAMP_TABLE,
    PostgresWarehouse,
)

pytestmark = pytest.mark.slow

RUN_TIMEOUT = 1200
# A step that starts only after dbt_models succeeded: every model is built by then.
AFTER_DBT_STEP = "risk__quota_risk"
# One statement: the latest publish and the run stamp of every published schema.
SNAPSHOT_SQL = (
    f"select (select run_id from {PUBLISH_MARKER} order by published_at desc limit 1)"
    + "".join(
        f", (select max(run_id) from {schema}.{RUN_STAMP_TABLE})" for schema in ENGINE_SCHEMAS
    )
)


@dataclass
class Reader:
    """Polls SNAPSHOT_SQL on its own connection until stopped; keeps what it saw."""

    engine: PostgresWarehouse
    seen: list[tuple[str | None, ...]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> None:
        import adbc_driver_postgresql.dbapi as adbc_pg

        # autocommit: each statement is its own transaction, holding no lock afterwards
        with adbc_pg.connect(self.engine.uri, autocommit=True) as con, con.cursor() as cur:
            while not self.stop.is_set():
                try:
                    cur.execute(SNAPSHOT_SQL)
                    self.seen.append(tuple(cur.fetchone()))
                except Exception as error:
                    self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(0.002)


def run_env(out: Path) -> dict[str, str]:
    (out / "dagster_home").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "QUOTA_DBT_TARGET": "postgres",
        "QUOTA_WAREHOUSE": str(out / "warehouse.duckdb"),
        "QUOTA_OPS_DB": str(out / "ops.duckdb"),
        "DAGSTER_HOME": str(out / "dagster_home"),
        "QUOTA_POLICY": str(POLICY_FILE),
    }


def start_run(out: Path) -> subprocess.Popen[str]:
    """`quota-pipeline run --force` (same inputs every time) in its own process group, so
    SIGKILL reaches dbt too."""
    warehouse = out / "warehouse.duckdb"
    return subprocess.Popen(
        [
            str(CLI),
            "run",
            "--force",
            "--extracts",
            str(SMALL_FIXTURE),
            "--warehouse",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env(out),
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str]) -> float:
    started = time.perf_counter()
    out, err = process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode == 0, (out + err)[-6000:]
    return time.perf_counter() - started


def run_logs(out: Path) -> set[Path]:
    """The CLI's log files, one per run: <warehouse dir>/logs/run-*.log."""
    return set((out / "logs").glob("run-*.log"))


def wait_for_step(
    out: Path, process: subprocess.Popen[str], step: str, known_logs: set[Path]
) -> None:
    """Until the log file of this run (not in ``known_logs``) says ``step`` started."""
    marker = f'Started execution of step "{step}"'
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        new = sorted(run_logs(out) - known_logs)
        if new and marker in new[-1].read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            raise AssertionError(f"run ended (exit {process.returncode}) before {step}")
        time.sleep(0.05)
    raise AssertionError(f"step {step} never started")


def query(engine: PostgresWarehouse, sql: str) -> list[tuple[object, ...]]:
    with engine._connect() as con, con.cursor() as cur:
        cur.execute(sql)
        return [tuple(row) for row in cur.fetchall()]


def published(engine: PostgresWarehouse) -> tuple[str | None, ...]:
    """(latest published run, run stamp of each published schema)."""
    return query(engine, SNAPSHOT_SQL)[0]


def build_schemas(engine: PostgresWarehouse) -> set[str]:
    rows = query(engine, "select nspname from pg_namespace")
    suffixes = (BUILD_SUFFIX, OLD_SUFFIX)
    return {str(name) for (name,) in rows if str(name).endswith(suffixes)}


def build_stamps(engine: PostgresWarehouse) -> set[object]:
    return {
        query(engine, f"select max(run_id) from {schema}{BUILD_SUFFIX}.{RUN_STAMP_TABLE}")[0][0]
        for schema in ENGINE_SCHEMAS
    }


@pytest.fixture
def engine() -> Iterator[PostgresWarehouse]:
    """The published side of a PostgreSQL emptied of every schema the pipeline owns."""
    if not os.environ.get("QUOTA_PG_DSN"):
        pytest.skip("QUOTA_PG_DSN not set: no PostgreSQL to run on (.ci/run starts one)")
    pytest.importorskip("dbt.adapters.postgres", reason="dbt-postgres not installed")
    pytest.importorskip("adbc_driver_postgresql", reason="adbc-driver-postgresql not installed")
    engine = PostgresWarehouse.from_env()
    marker_schema = PUBLISH_MARKER.split(".")[0]
    with engine._connect() as con, con.cursor() as cur:
        for schema in ENGINE_SCHEMAS:
            for name in (schema, schema + BUILD_SUFFIX, schema + OLD_SUFFIX):
                cur.execute(f"drop schema if exists {name} cascade")
        cur.execute(f"drop schema if exists {marker_schema} cascade")
        con.commit()
    return engine


def test_readers_see_one_run_and_a_failed_run_publishes_nothing(
    engine: PostgresWarehouse, tmp_path: Path
) -> None:
    out = tmp_path / "postgres_runs"
    durations: dict[str, float] = {}

    # 1. run A publishes whole
    durations["A"] = finish(start_run(out))
    after_a = published(engine)
    run_a = after_a[0]
    assert run_a and set(after_a) == {run_a}, after_a
    assert build_schemas(engine) == set()

    reader = Reader(engine)
    thread = threading.Thread(target=reader.poll, daemon=True)
    thread.start()
    try:
        # 2. run B dies after dbt: published schemas untouched, its own left over
        started = time.perf_counter()
        known_logs = run_logs(out)
        run_b = start_run(out)
        wait_for_step(out, run_b, AFTER_DBT_STEP, known_logs)
        os.killpg(run_b.pid, signal.SIGKILL)
        run_b.communicate(timeout=60)
        durations["B (killed)"] = time.perf_counter() - started
        assert published(engine) == after_a
        assert build_schemas(engine) == {schema + BUILD_SUFFIX for schema in ENGINE_SCHEMAS}
        stamps_b = build_stamps(engine)
        assert len(stamps_b) == 1 and run_a not in stamps_b, stamps_b
        assert query(engine, f"select count(*) from {PUBLISH_MARKER}") == [(1,)]

        # 3. run C drops B's leftovers at its start and publishes whole
        durations["C"] = finish(start_run(out))
    finally:
        reader.stop.set()
        thread.join(timeout=60)

    after_c = published(engine)
    run_c = after_c[0]
    assert run_c not in (None, run_a) and set(after_c) == {run_c}, after_c
    assert run_c not in stamps_b
    assert build_schemas(engine) == set()
    # the staging views were built on raw__next and follow it into raw (bound by OID)
    view = query(engine, "select pg_get_viewdef('staging.stg_accounts'::regclass)")[0][0]
    assert "raw.accounts" in str(view) and BUILD_SUFFIX not in str(view), view
    assert query(engine, "select count(*) > 0 from staging.stg_accounts") == [(True,)]
    assert [row[0] for row in query(engine, f"select run_id from {PUBLISH_MARKER}")] in (
        [run_a, run_c],
        [run_c, run_a],
    )

    assert reader.errors == [], reader.errors[:5]
    mixed = [row for row in reader.seen if len(set(row)) != 1]
    assert mixed == [], mixed[:5]
    runs_seen = {row[0] for row in reader.seen}
    assert runs_seen <= {run_a, run_c} and run_c in runs_seen, runs_seen
    print(
        f"\nreader: {len(reader.seen)} snapshots, runs seen {sorted(map(str, runs_seen))}; "
        + ", ".join(f"run {name} {seconds:.1f}s" for name, seconds in durations.items())
    )
