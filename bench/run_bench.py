"""Benchmark `quota-pipeline run` against a bare-DuckDB floor on generated extracts.

Why: the pipeline spends time and memory on more than the planning arithmetic (Dagster,
dbt, raw tables with lineage, validation, checks, the ops database, an atomic publish).
bench/floor.sql computes the same marts and risk tables in one DuckDB script, so the
ratio pipeline / floor says what that machinery costs and whether it grows with the data.

For each size: extracts are generated once into bench/data/<size>/ (kept between runs);
the pipeline and the floor each run as a separate process, measured for wall time and for
the peak resident memory of the whole process tree (sampled from /proc every 50 ms and
summed over the process and its descendants; shared pages count once per process, so it
is an upper bound). A failing command is reported with the tail of its stderr and the
benchmark carries on with the next command and size.

A policy file (--policy) goes to both: the pipeline's `run --policy` and the floor, which
follows its allocation and outlook blocks (allocation.targets_basis: allocated, a method).
--check compares the floor's tables with the pipeline's after the last run of each size
(bench/compare_floor.py), outside the measured time.

Usage: python bench/run_bench.py [--sizes 100000 1000000] [--keep] [--repeat K]
                                [--skip-pipeline] [--timeout SECONDS] [--policy FILE]
                                [--check]
Results: a table on stdout and bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from quota_pipeline.ingest.specs import EXTRACT_NAMES

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
OUT_DIR = BENCH_DIR / "out"
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
FLOOR_RUNNER = BENCH_DIR / "floor_runner.py"
COMPARE_FLOOR = BENCH_DIR / "compare_floor.py"
CLI = Path(sys.executable).with_name("quota-pipeline")

DEFAULT_SIZES: tuple[int, ...] = (100_000, 1_000_000)
SEED = 7
SAMPLE_SECONDS = 0.05
STDERR_TAIL_LINES = 25
BYTES_PER_MB = 1024 * 1024
KB = 1024


# --------------------------------------------------------------------------- measuring


def _children_by_parent() -> dict[int, list[int]]:
    """Every live process id grouped under its parent id, from /proc/<pid>/stat."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:  # the process ended while we looked
            continue
        # The command name in parentheses may hold spaces; the fields after it are
        # "state ppid ...".
        fields = stat[stat.rindex(b")") + 2 :].split()
        children[int(fields[1])].append(int(entry.name))
    return children


def _rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS); 0 once it has ended or is a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KB
    return 0


def tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, summed."""
    children = _children_by_parent()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_bytes(pid)
        pending.extend(children.get(pid, ()))
    return total


class TreeSampler(threading.Thread):
    """Polls the RSS of a process tree until stopped and keeps the peak."""

    def __init__(self, root: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.root))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class Measured:
    """One measured command: exit code, wall seconds, peak tree RSS, log files."""

    exit_code: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    stdout: Path
    stderr: Path
    timed_out: bool = False
    started_at: float = 0.0  # epoch seconds just before the process started

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def stderr_tail(self, lines: int = STDERR_TAIL_LINES) -> str:
        text = self.stderr.read_text(encoding="utf-8", errors="replace").rstrip()
        if not text:  # some tools report on stdout only
            text = self.stdout.read_text(encoding="utf-8", errors="replace").rstrip()
        return "\n".join(text.splitlines()[-lines:])


def measure(
    command: list[str], log_prefix: Path, env: dict[str, str] | None, timeout: float
) -> Measured:
    """Run ``command`` in its own session; time it and sample its tree's memory.

    The wall time runs from just before the process starts to the moment it is reaped.
    ``os.wait4`` also returns the kernel's own peak RSS of the largest single process,
    which catches a spike shorter than the sampling interval.
    """
    stdout, stderr = log_prefix.with_suffix(".stdout"), log_prefix.with_suffix(".stderr")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        # CPU of the whole tree: every reaped descendant adds to RUSAGE_CHILDREN. Unlike
        # wall time it barely moves when other work shares the machine.
        cpu_before = _children_cpu_seconds()
        started_at = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env=env, cwd=REPO_ROOT, start_new_session=True
        )
        sampler = TreeSampler(process.pid)
        sampler.start()
        killed = threading.Event()
        timer = threading.Timer(timeout, _kill_session, args=(process.pid, killed))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C does not reach a child in its own session
            _kill_session(process.pid, killed)
            os.waitpid(process.pid, 0)
            raise
        finally:
            timer.cancel()
            sampler.stop()
        seconds = time.perf_counter() - started
    cpu_seconds = _children_cpu_seconds() - cpu_before
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    # ru_maxrss is in kilobytes on Linux.
    peak = max(sampler.peak_bytes, usage.ru_maxrss * KB)
    return Measured(
        exit_code=process.returncode,
        seconds=seconds,
        peak_rss_mb=peak / BYTES_PER_MB,
        cpu_seconds=cpu_seconds,
        stdout=stdout,
        stderr=stderr,
        timed_out=killed.is_set(),
        started_at=started_at,
    )


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kill_session(pid: int, killed: threading.Event) -> None:
    """Stop a command that ran past the timeout, with every process it started."""
    killed.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # its own session: the group id is its pid


# --------------------------------------------------------------------------- steps


def ensure_extracts(size: int, timeout: float) -> Path:
    """bench/data/<size>/ with all eight CSV extracts, generated once (seed 7)."""
    folder = DATA_DIR / str(size)
    if all((folder / f"{name}.csv").is_file() for name in EXTRACT_NAMES):
        print(f"  extracts: reusing {folder.relative_to(REPO_ROOT)}")
        return folder
    # Written beside the final folder and renamed, so a broken generation is never reused.
    partial = DATA_DIR / f"{size}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    partial.mkdir(parents=True)
    print(f"  extracts: generating {size:,} accounts into {folder.relative_to(REPO_ROOT)}")
    command = [str(CLI), "generate", "--out", str(partial), "--accounts", str(size)]
    command += ["--seed", str(SEED)]
    started = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=timeout, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).splitlines()[-STDERR_TAIL_LINES:])
        raise RuntimeError(f"generate exited {result.returncode}:\n{tail}")
    missing = [name for name in EXTRACT_NAMES if not (partial / f"{name}.csv").is_file()]
    if missing:
        raise RuntimeError(f"generate wrote no {', '.join(missing)} (CSV) into {partial}")
    partial.rename(folder)
    print(f"  extracts: generated in {time.perf_counter() - started:.1f} s")
    return folder


def run_pipeline(
    extracts: Path, out: Path, timeout: float, *, night: str, policy: Path | None = None
) -> Measured:
    """`quota-pipeline run` with its own warehouse, ops database and Dagster home.

    ``night`` "first": into an empty folder (full dbt parse, no published run to compare
    with or to take the dbt docs from). "nightly": the same command with --force on the
    folder the first run published, which is what every later night is: same code, a
    previous warehouse, and the whole recomputation (--force only skips the check that the
    extracts changed, which is what a real night's new extracts would do).
    """
    home = out / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["QUOTA_OPS_DB"] = str(out / "ops.duckdb")
    env["DAGSTER_HOME"] = str(home)
    command = [str(CLI), "run", "--extracts", str(extracts)]
    command += ["--warehouse", str(out / "warehouse.duckdb")]
    if policy is not None:
        command += ["--policy", str(policy)]
    if night == "nightly":
        command.append("--force")
    return measure(command, out / f"pipeline-{night}", env, timeout)


def run_floor(extracts: Path, out: Path, timeout: float, policy: Path | None = None) -> Measured:
    """bench/floor.sql on a fresh DuckDB file, as its own Python process.

    The pipeline's nightly run compares its SAT with the warehouse published before it
    (docs/contract.md 3c, sat_change); the floor does the same against the warehouse the
    pipeline published in this attempt, when there is one (not with --skip-pipeline).
    """
    command = [sys.executable, str(FLOOR_RUNNER), str(extracts), str(out / "floor.duckdb")]
    if policy is not None:
        command += ["--policy", str(policy)]
    published = out / "warehouse.duckdb"
    if published.is_file():
        command += ["--previous", str(published)]
    return measure(command, out / "floor", None, timeout)


def check_floor(out: Path, timeout: float) -> tuple[bool, str]:
    """bench/compare_floor.py on this attempt's floor and nightly warehouse: (ok, report)."""
    command = [sys.executable, str(COMPARE_FLOOR), str(out / "floor.duckdb")]
    command.append(str(out / "warehouse.duckdb"))
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=timeout, check=False
    )
    return result.returncode == 0, (result.stdout + result.stderr).rstrip()


# Dagster step -> stage of the breakdown in README.md ("Performance").
STAGES = (
    ("ingest", ("raw_extracts",)),
    ("checks", ("gx_",)),
    ("dbt", ("dbt_models",)),
    ("risk", ("risk__",)),
    ("publish", ("publish__",)),
)


def stage_seconds(steps: dict[str, tuple[float, float]], measured: Measured) -> dict[str, float]:
    """Seconds per stage: start-up (process start to the first step), the stages, and the
    finish (last step to process exit: run log, alerts, summary, interpreter exit)."""
    if not steps:
        return {}
    stages = {"start-up": min(start for start, _ in steps.values()) - measured.started_at}
    for stage, prefixes in STAGES:
        stages[stage] = sum(
            end - start for key, (start, end) in steps.items() if key.startswith(prefixes)
        )
    last_end = max(end for _, end in steps.values())
    stages["finish"] = measured.started_at + measured.seconds - last_end
    return {name: round(seconds, 2) for name, seconds in stages.items()}


def pipeline_steps(dagster_home: Path) -> dict[str, tuple[float, float]]:
    """(start, end) epoch seconds of each step of the newest run at ``dagster_home``.

    Best effort: a breakdown that cannot be read is reported and left empty, it never
    fails the benchmark.
    """
    try:
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(dagster_home)) as instance:
            records = instance.get_run_records(limit=1)
            if not records:
                return {}
            stats = instance.get_run_step_stats(records[0].dagster_run.run_id)
    except Exception as error:  # any failure here only loses the breakdown
        print(f"  steps: not available ({type(error).__name__}: {error})")
        return {}
    return {
        stat.step_key: (stat.start_time, stat.end_time)
        for stat in sorted(stats, key=lambda stat: stat.start_time or 0.0)
        if stat.start_time is not None and stat.end_time is not None
    }


# --------------------------------------------------------------------------- reporting


NIGHTS = ("first", "nightly")


@dataclass
class NightResult:
    """The pipeline on one kind of night (``NIGHTS``), fastest of the repeats."""

    seconds: float | None = None
    cpu_seconds: float | None = None
    peak_rss_mb: float | None = None
    exit_code: int | None = None
    stages: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    runs_seconds: list[float] = field(default_factory=list)


@dataclass
class SizeResult:
    """One row of the results table, as written to latest.json.

    With several runs per size, seconds are the fastest run (the least disturbed by other
    work on the machine) and peak memory the largest; every run's seconds are kept too.
    The ratio is the nightly run over the floor.
    """

    size: int
    accounts: int
    first: NightResult = field(default_factory=NightResult)
    nightly: NightResult = field(default_factory=NightResult)
    floor_seconds: float | None = None
    ratio: float | None = None
    floor_cpu_seconds: float | None = None
    floor_peak_rss_mb: float | None = None
    floor_exit_code: int | None = None
    floor_runs_seconds: list[float] = field(default_factory=list)
    floor_equals_pipeline: bool | None = None  # --check: every table agrees
    errors: list[str] = field(default_factory=list)


def size_label(size: int) -> str:
    """100000 -> 100k, 1000000 -> 1M; other numbers as they are."""
    for divisor, suffix in ((1_000_000, "M"), (1_000, "k")):
        if size >= divisor and size % divisor == 0:
            return f"{size // divisor}{suffix}"
    return str(size)


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _print_rows(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    for row in (headers, tuple("-" * width for width in widths), *rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def print_table(results: list[SizeResult]) -> None:
    headers = (
        "size",
        "accounts",
        "first s",
        "nightly s",
        "floor s",
        "ratio",
        "first MB",
        "nightly MB",
        "floor MB",
        "nightly cpu s",
        "floor cpu s",
    )
    rows = [
        (
            size_label(result.size),
            f"{result.accounts:,}",
            _cell(result.first.seconds, 2),
            _cell(result.nightly.seconds, 2),
            _cell(result.floor_seconds, 2),
            _cell(result.ratio, 1),
            _cell(result.first.peak_rss_mb, 0),
            _cell(result.nightly.peak_rss_mb, 0),
            _cell(result.floor_peak_rss_mb, 0),
            _cell(result.nightly.cpu_seconds, 1),
            _cell(result.floor_cpu_seconds, 1),
        )
        for result in results
    ]
    print()
    _print_rows(headers, rows)
    stage_names = [name for name in ("start-up", *(s for s, _ in STAGES), "finish")]
    stage_rows = [
        (size_label(result.size), night, *(_cell(stages.get(n), 1) for n in stage_names))
        for result in results
        for night in NIGHTS
        if (stages := getattr(result, night).stages)
    ]
    if stage_rows:
        print("\nseconds per stage:")
        _print_rows(("size", "night", *stage_names), stage_rows)
    for result in results:
        for night in NIGHTS:
            steps = getattr(result, night).steps
            if steps:
                print(f"\npipeline steps, {size_label(result.size)}, {night} (seconds):")
                width = max(len(name) for name in steps)
                for name, seconds in steps.items():
                    print(f"  {name:<{width}}  {seconds:8.2f}")


def write_json(results: list[SizeResult], path: Path, policy: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "duckdb_threads": os.environ.get("QUOTA_DUCKDB_THREADS"),
            "duckdb_memory_limit": os.environ.get("QUOTA_DUCKDB_MEMORY_LIMIT"),
        },
        "seed": SEED,
        "policy": str(policy) if policy else os.environ.get("QUOTA_POLICY", "planning_policy.yaml"),
        "rss": "peak of the summed VmRSS of the process tree, sampled every 50 ms",
        "results": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def _report_failure(what: str, measured: Measured, result: SizeResult) -> None:
    reason = "timed out" if measured.timed_out else f"exited {measured.exit_code}"
    result.errors.append(f"{what} {reason}")
    print(f"  {what}: FAILED ({reason}) after {measured.seconds:.1f} s; stderr tail:")
    for line in measured.stderr_tail().splitlines():
        print(f"    | {line}")


def bench_size(
    size: int,
    *,
    repeat: int,
    keep: bool,
    skip_pipeline: bool,
    timeout: float,
    policy: Path | None = None,
    check: bool = False,
) -> SizeResult:
    """Generate (once) and measure one size; each attempt starts from an empty bench/out:
    the first night into it, then the nightly run on what the first one published, then
    the floor."""
    result = SizeResult(size=size, accounts=size)
    print(f"\n== {size_label(size)} ({size:,} accounts)")
    try:
        extracts = ensure_extracts(size, timeout)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        result.errors.append(f"generate failed: {error}")
        print(f"  extracts: FAILED: {error}")
        return result

    out = OUT_DIR / str(size)
    run_pipeline_too = not skip_pipeline
    run_floor_too = True
    for attempt in range(1, repeat + 1):
        label = f" (run {attempt}/{repeat})" if repeat > 1 else ""
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        try:
            for night in NIGHTS if run_pipeline_too else ():
                run_pipeline_too = _pipeline_attempt(
                    extracts, out, timeout, label, night, result, policy
                )
                if not run_pipeline_too:
                    break
            if run_floor_too:
                run_floor_too = _floor_attempt(extracts, out, timeout, label, result, policy)
            if check and attempt == repeat and run_pipeline_too and run_floor_too:
                _check_attempt(out, timeout, result)
        finally:
            if not keep:
                shutil.rmtree(out, ignore_errors=True)

    if result.nightly.seconds is not None and result.floor_seconds:
        result.ratio = result.nightly.seconds / result.floor_seconds
    return result


def _check_attempt(out: Path, timeout: float, result: SizeResult) -> None:
    ok, report = check_floor(out, timeout)
    result.floor_equals_pipeline = ok
    print(f"  floor = pipeline: {'yes' if ok else 'NO'}")
    for line in report.splitlines():
        if not line.lstrip().startswith("sums:"):
            print(f"    | {line}")
    if not ok:
        result.errors.append("floor differs from the pipeline")


def _pipeline_attempt(
    extracts: Path,
    out: Path,
    timeout: float,
    label: str,
    night: str,
    result: SizeResult,
    policy: Path | None = None,
) -> bool:
    """One measured pipeline run; keeps the fastest. False when it failed (no retry)."""
    pipeline = run_pipeline(extracts, out, timeout, night=night, policy=policy)
    kept: NightResult = getattr(result, night)
    kept.exit_code = pipeline.exit_code
    if not pipeline.ok:
        _report_failure(f"pipeline ({night})", pipeline, result)
        return False
    print(
        f"  pipeline, {night} night{label}: {pipeline.seconds:.2f} s, "
        f"{pipeline.peak_rss_mb:,.0f} MB, cpu {pipeline.cpu_seconds:.1f} s"
    )
    kept.runs_seconds.append(pipeline.seconds)
    kept.peak_rss_mb = max(kept.peak_rss_mb or 0.0, pipeline.peak_rss_mb)
    if kept.seconds is None or pipeline.seconds < kept.seconds:
        kept.seconds = pipeline.seconds
        kept.cpu_seconds = pipeline.cpu_seconds
        steps = pipeline_steps(out / "dagster_home")
        kept.steps = {key: round(end - start, 2) for key, (start, end) in steps.items()}
        kept.stages = stage_seconds(steps, pipeline)
    return True


def _floor_attempt(
    extracts: Path,
    out: Path,
    timeout: float,
    label: str,
    result: SizeResult,
    policy: Path | None = None,
) -> bool:
    """One measured floor run; keeps the fastest. False when it failed (no retry)."""
    floor = run_floor(extracts, out, timeout, policy)
    result.floor_exit_code = floor.exit_code
    if not floor.ok:
        _report_failure("floor", floor, result)
        return False
    print(
        f"  floor{label}: {floor.seconds:.2f} s, {floor.peak_rss_mb:,.0f} MB, "
        f"cpu {floor.cpu_seconds:.1f} s"
    )
    result.floor_runs_seconds.append(floor.seconds)
    result.floor_peak_rss_mb = max(result.floor_peak_rss_mb or 0.0, floor.peak_rss_mb)
    if result.floor_seconds is None or floor.seconds < result.floor_seconds:
        result.floor_seconds = floor.seconds
        result.floor_cpu_seconds = floor.cpu_seconds
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time quota-pipeline run against the bare-DuckDB floor (bench/floor.sql)."
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        metavar="N",
        help="numbers of accounts (default: 100000 1000000)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep bench/out/<size>/ (warehouse, ops db, Dagster home, floor db, logs)",
    )
    parser.add_argument("--skip-pipeline", action="store_true", help="measure only the floor")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="runs per command and size; the fastest is reported (default 1)",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per command (default 3600)"
    )
    parser.add_argument(
        "--policy",
        type=Path,
        help="policy YAML for the pipeline and the floor (default: QUOTA_POLICY, else"
        " planning_policy.yaml), e.g. one with allocation.targets_basis: allocated",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="after the last run of each size, compare the floor's tables with the pipeline's",
    )
    arguments = parser.parse_args(argv)
    if any(size < 1 for size in arguments.sizes):
        parser.error("sizes must be positive numbers of accounts")
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not CLI.is_file():
        print(
            f"run_bench: {CLI} not found: run with the project's venv python "
            "(.venv/bin/python bench/run_bench.py, or make bench)",
            file=sys.stderr,
        )
        return 2
    policy = arguments.policy.resolve() if arguments.policy else None
    if policy is not None and not policy.is_file():
        parser.error(f"--policy {arguments.policy}: no such file")
    if arguments.check and arguments.skip_pipeline:
        parser.error("--check needs the pipeline's tables: drop --skip-pipeline")
    if not Path("/proc/self/status").is_file():
        print("run_bench: needs Linux /proc to sample memory", file=sys.stderr)
        return 2

    results = [
        bench_size(
            size,
            repeat=arguments.repeat,
            keep=arguments.keep,
            skip_pipeline=arguments.skip_pipeline,
            timeout=arguments.timeout,
            policy=policy,
            check=arguments.check,
        )
        for size in arguments.sizes
    ]
    print_table(results)
    write_json(results, RESULTS_FILE, policy)
    print(f"\nwritten: {RESULTS_FILE.relative_to(REPO_ROOT)}")
    return 1 if any(result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
