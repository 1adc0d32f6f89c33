"""The dbt standby: a dbt command handed to it behaves as the venv's dbt, exit code and
output included; without a standby `quota-dbt` is dbt; a standby serves one command and
never outlives its run. Real processes, real dbt."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import POLICY_FILE

from quota_pipeline.policy import load_policy
from quota_pipeline.settings import DBT_PROJECT_DIR
from quota_pipeline.transform.dbt_standby import (
    CLIENT_EXECUTABLE,
    DBT_EXECUTABLE,
    HANDED_OVER,
    STANDBY_ENV,
    DbtStandby,
)
from quota_pipeline.transform.project import dbt_vars

# A dbt command that fails on its own (exit 2, a one-line reason), quick either way.
MISSING_PROJECT = ["parse", "--project-dir", "/nonexistent/quota-dbt-project"]


def run(executable: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([executable, *args], capture_output=True, text=True, env=env, timeout=120)


def plain_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != STANDBY_ENV}


def without_timestamps(output: str) -> list[str]:
    """dbt's lines without their leading clock time."""
    return [line.split(" ", 1)[-1] for line in output.splitlines() if line.strip()]


@pytest.fixture
def standby():
    started = DbtStandby.start("duckdb")
    yield started
    started.stop()


def test_a_command_handed_to_the_standby_is_dbt(standby):
    env = {**plain_environment(), **standby.environment()}
    handed = run(CLIENT_EXECUTABLE, MISSING_PROJECT, env)
    direct = run(DBT_EXECUTABLE, MISSING_PROJECT, plain_environment())

    assert direct.returncode == 2, direct.stdout + direct.stderr
    assert handed.returncode == direct.returncode
    first, *rest = handed.stdout.splitlines()
    assert first == HANDED_OVER
    assert without_timestamps("\n".join(rest)) == without_timestamps(direct.stdout)
    assert "does not exist" in direct.stderr
    assert handed.stderr == direct.stderr
    # The standby ran it and ended by itself; the next command finds no standby.
    assert standby.process.wait(timeout=30) == direct.returncode
    assert standby.environment() == {}


def test_the_standby_serves_one_command_then_quota_dbt_is_plain_dbt(standby):
    env = {**plain_environment(), **standby.environment()}
    assert run(CLIENT_EXECUTABLE, ["--version"], env).stdout.startswith(HANDED_OVER)
    standby.process.wait(timeout=30)

    again = run(CLIENT_EXECUTABLE, ["--version"], env)
    assert again.returncode == 0
    assert HANDED_OVER not in again.stdout
    assert "installed:" in again.stdout


def test_without_a_standby_quota_dbt_runs_the_venvs_dbt():
    result = run(CLIENT_EXECUTABLE, MISSING_PROJECT, plain_environment())
    direct = run(DBT_EXECUTABLE, MISSING_PROJECT, plain_environment())
    assert result.returncode == direct.returncode == 2
    assert HANDED_OVER not in result.stdout
    assert result.stdout == direct.stdout and result.stderr == direct.stderr


def test_an_idle_standby_ends_with_the_run():
    standby = DbtStandby.start("duckdb")
    folder = standby.socket_path.parent
    standby.stop()
    assert standby.process.poll() is not None
    assert not folder.exists()
    assert standby.environment() == {}


def test_a_standby_whose_run_died_ends_by_itself():
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "from quota_pipeline.transform.dbt_standby import DbtStandby; "
            "standby = DbtStandby.start('duckdb'); "
            "print(standby.process.pid, standby.socket_path.parent)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    pid, folder = started.stdout.split()
    pid = int(pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and is_running(pid):
        time.sleep(0.2)
    assert not is_running(pid)
    assert not Path(folder).exists()


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent that does not reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


def test_dbt_in_the_standby_stops_when_its_client_is_killed(standby, tmp_path):
    """A killed client (its run killed with its process group) interrupts dbt's query."""
    env = {
        **plain_environment(),
        **standby.environment(),
        "QUOTA_DBT_DUCKDB_PATH": str(tmp_path / "build.duckdb"),
    }
    # Minutes of DuckDB work when nothing interrupts it.
    query = "select sum(i) from range(200000000000) as numbers(i)"
    command = [
        CLIENT_EXECUTABLE, "show", "--inline", query,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", "duckdb", "--target-path", str(tmp_path / "target"),
        "--log-path", str(tmp_path / "logs"), "--vars", dbt_vars(load_policy(POLICY_FILE)),
    ]  # fmt: skip
    client = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    assert client.stdout is not None
    lines = []
    for line in client.stdout:  # until dbt is about to run the query
        lines.append(line)
        if "Concurrency:" in line:
            break
    assert lines[0].strip() == HANDED_OVER, lines
    time.sleep(2)
    assert standby.process.poll() is None
    client.kill()
    client.wait()
    killed = time.monotonic()
    standby.process.wait(timeout=60)
    assert time.monotonic() - killed < 30
