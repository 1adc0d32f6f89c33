"""What the GX suites cost in a nightly run: GX seconds against the whole run.

Generates synthetic extracts (or reuses a folder), then runs `quota-pipeline run` as the
schedule would, with the warehouse, ops database and DAGSTER_HOME in a scratch folder,
once without a published warehouse (drift suites skipped) and once more with it (drift
compared). From the Dagster instance it reads each step's duration and each GX check's
own ``gx_seconds`` metadata, and prints one table per run.

    .venv/bin/python bench/bench_quality.py --accounts 1000000 [--extracts DIR] [--runs 2]

Timings on a shared 2-core machine are noisy: run it twice before believing a number.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from quota_pipeline.generate.synthetic import generate_extracts

CLI = Path(sys.executable).with_name("quota-pipeline")
GX_STEP_SUFFIXES = ("_gx_raw_suite", "_gx_drift_suite")


def run_once(extracts: Path, scratch: Path) -> tuple[int, float]:
    env = {
        **os.environ,
        "QUOTA_WAREHOUSE": str(scratch / "warehouse.duckdb"),
        "QUOTA_OPS_DB": str(scratch / "ops.duckdb"),
        "DAGSTER_HOME": str(scratch / "dagster_home"),
    }
    (scratch / "dagster_home").mkdir(exist_ok=True)
    started = time.perf_counter()
    result = subprocess.run(
        # --force: the second run recomputes although nothing changed since the first.
        [str(CLI), "run", "--extracts", str(extracts), "--force"],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    return result.returncode, time.perf_counter() - started


def gx_metadata_seconds(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    seconds = {}
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        value = evaluation.metadata.get("gx_seconds")
        if value is not None:
            seconds["/".join(evaluation.asset_key.path)] = float(value.value)
    return seconds


def report(scratch: Path, wall: float, label: str) -> None:
    with DagsterInstance.from_config(str(scratch / "dagster_home")) as instance:
        run = instance.get_run_records(limit=1)[0].dagster_run
        steps = instance.get_run_step_stats(run.run_id)
        durations = {
            s.step_key: (s.end_time or 0) - (s.start_time or 0) for s in steps if s.start_time
        }
        gx_only = gx_metadata_seconds(instance, run.run_id)
        stats = instance.get_run_stats(run.run_id)
    run_seconds = (stats.end_time or 0) - (stats.start_time or 0)
    gx_steps = {k: v for k, v in durations.items() if k.endswith(GX_STEP_SUFFIXES)}
    print(f"\n## {label}: run {run.run_id} {run.status.value}")
    print("| step | seconds |\n|---|---|")
    for key, value in sorted(durations.items(), key=lambda item: -item[1]):
        print(f"| {key} | {value:.1f} |")
    gx_step_total = sum(gx_steps.values())
    gx_total = sum(gx_only.values())
    print("\n| measure | seconds | share of run |\n|---|---|---|")
    print(f"| CLI wall time (incl. start-up) | {wall:.1f} | |")
    print(f"| Dagster run (start to end) | {run_seconds:.1f} | 100% |")
    print(
        f"| GX check steps (write the suite's rows + validate + Data Docs + step overhead) "
        f"| {gx_step_total:.1f} | {gx_step_total / run_seconds:.0%} |"
    )
    print(
        f"| GX validation + Data Docs only (gx_seconds) | {gx_total:.1f} | {gx_total / run_seconds:.0%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--extracts", type=Path, default=None)
    parser.add_argument("--scratch", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=2)
    arguments = parser.parse_args()
    scratch = arguments.scratch or Path(tempfile.mkdtemp(prefix="bench_quality_"))
    scratch.mkdir(parents=True, exist_ok=True)
    extracts = arguments.extracts or scratch / "extracts"
    if not extracts.exists():
        started = time.perf_counter()
        generate_extracts(extracts, accounts=arguments.accounts, seed=7)
        print(f"generated {arguments.accounts:,} accounts in {time.perf_counter() - started:.0f} s")
    for number in range(1, arguments.runs + 1):
        code, wall = run_once(extracts, scratch)
        label = (
            "first run (no published warehouse: drift skipped)"
            if number == 1
            else (f"run {number} (drift against the published warehouse)")
        )
        report(scratch, wall, f"{label}, exit {code}")


if __name__ == "__main__":
    main()
