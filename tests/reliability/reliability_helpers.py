"""Shared pieces of the reliability tests: broken copies of the small fixture, the real CLI
in a subprocess with isolated paths, and hashes that say whether a warehouse changed.

One published baseline warehouse is built per session (a full CLI run costs ~15-60 s) and
every test that needs "a previous run" copies it, so the suite stays within CI time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
from support import CLI, POLICY_FILE, SMALL_FIXTURE, cli

CLI_TIMEOUT = 600
# Columns that differ between two runs of the same inputs by design: the run's timestamps,
# and the outlook's change since the previous published run (null on a first run).
RUN_TIMESTAMP_COLUMNS = ("_loaded_at", "loaded_at")
RUN_RELATIVE_COLUMNS = ("sat_change", "relief_candidate")
CONTENT_SCHEMAS = ("raw", "dq", "marts", "risk")


@dataclass(frozen=True)
class Workspace:
    """One isolated place to run the pipeline: extracts, warehouse, ops db, Dagster home."""

    root: Path
    extracts: Path
    warehouse: Path
    ops_db: Path
    dagster_home: Path
    policy: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment the CLI sees: only this workspace's paths, no alert channels."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("QUOTA_", "DAGSTER_"))
        }
        env.update(
            QUOTA_EXTRACTS_DIR=str(self.extracts),
            QUOTA_WAREHOUSE=str(self.warehouse),
            QUOTA_OPS_DB=str(self.ops_db),
            QUOTA_POLICY=str(self.policy),
            DAGSTER_HOME=str(self.dagster_home),
        )
        return env

    @property
    def build_dir(self) -> Path:
        return self.warehouse.parent / ".build"

    def logs(self) -> set[Path]:
        folder = self.warehouse.parent / "logs"
        return set(folder.glob("run-*.log")) if folder.exists() else set()


def make_workspace(root: Path, extracts_from: Path = SMALL_FIXTURE) -> Workspace:
    """A fresh workspace under ``root`` with a writable copy of the extracts and the policy."""
    root.mkdir(parents=True, exist_ok=True)
    extracts = root / "extracts"
    shutil.copytree(extracts_from, extracts)
    policy = root / "planning_policy.yaml"
    shutil.copy(POLICY_FILE, policy)
    home = root / "dagster_home"
    home.mkdir()
    return Workspace(
        root=root,
        extracts=extracts,
        warehouse=root / "out" / "warehouse.duckdb",
        ops_db=root / "out" / "ops.duckdb",
        dagster_home=home,
        policy=policy,
    )


def run_cli(
    workspace: Workspace, *arguments: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`quota-pipeline run` (plus arguments) as cron would start it: a separate process."""
    return cli(
        {**workspace.env, **(extra_env or {})},
        "run",
        *arguments,
        cwd=workspace.root,
        timeout=CLI_TIMEOUT,
    )


def start_cli(workspace: Workspace, *arguments: str) -> subprocess.Popen[str]:
    """Start a run in its own process group so that SIGKILL reaches dbt's child too."""
    return subprocess.Popen(
        [str(CLI), "run", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=workspace.env,
        cwd=workspace.root,
        start_new_session=True,
    )


def wait_for_step(
    workspace: Workspace, process: subprocess.Popen[str], step: str, known_logs: set[Path]
) -> Path:
    """Block until the run's log file says ``step`` started; return that log file.

    The CLI writes Dagster's events to <warehouse dir>/logs/run-*.log line by line, so a
    STEP_START line there means the step is executing now.
    """
    marker = f'Started execution of step "{step}"'
    deadline = time.monotonic() + CLI_TIMEOUT
    while time.monotonic() < deadline:
        new = sorted(workspace.logs() - known_logs)
        if new and marker in new[-1].read_text(encoding="utf-8", errors="replace"):
            return new[-1]
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(
                f"run ended (exit {process.returncode}) before {step}:\n{out}{err}"
            )
        time.sleep(0.005)
    raise AssertionError(f"step {step} never started")


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the run and everything it started (dbt), as an OOM killer or a reboot would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def content_digest(warehouse: Path) -> dict[str, str]:
    """sha256 per table of the contract schemas, rows in a total order, run-bound columns out.

    Two runs of the same inputs must give the same digests; a file hash cannot say that
    because DuckDB's pages and the _loaded_at stamps differ between runs.
    """
    digests: dict[str, str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in ('raw', 'dq', 'marts', 'risk') "
            "order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if row[0] not in RUN_TIMESTAMP_COLUMNS + RUN_RELATIVE_COLUMNS
            ]
            select = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
            rows = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
            digests[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def loaded_at(warehouse: Path) -> object:
    """The run stamp of the published ingest: tells the previous run from a new one."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select max(_loaded_at) from raw.quotas").fetchall()[0][0]


def published_tables_open(warehouse: Path) -> int:
    """Open the published file as an analyst would and count the risk rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from risk.quota_risk").fetchall()[0][0]


# --- CSV mutations: each rewrites one fixture file the way a broken CRM export would ---


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def set_field(name: str, line: int, column: str, value: str) -> Callable[[Path], None]:
    """Mutation: set ``column`` on physical ``line`` (header is line 1) of ``name``.csv."""

    def mutate(extracts: Path) -> None:
        path = extracts / f"{name}.csv"
        rows = read_rows(path)
        rows[line - 1][rows[0].index(column)] = value
        write_rows(path, rows)

    return mutate


def append_line(name: str, text: str | bytes) -> Callable[[Path], None]:
    """Mutation: append raw bytes or text (no CSV quoting) as the last line of ``name``.csv."""

    def mutate(extracts: Path) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with (extracts / f"{name}.csv").open("ab") as handle:
            handle.write(data)

    return mutate


def copy_baseline(baseline: Workspace, root: Path) -> Workspace:
    """A workspace whose published warehouse is the baseline's, with fresh ops and Dagster."""
    workspace = make_workspace(root, extracts_from=baseline.extracts)
    workspace.warehouse.parent.mkdir(parents=True)
    shutil.copy(baseline.warehouse, workspace.warehouse)
    return workspace
