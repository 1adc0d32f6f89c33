"""Benchmark `quota-pipeline whatif` against the nightly run on the same data.

Why: a what-if scenario is only useful if it answers in seconds; docs/contract.md section 6
wants it to be the nightly computation on changed inputs, so the question is what share
of a nightly run it costs. For each size: extracts are generated (seed 7, bench/data/<size>,
kept), one first night publishes, then the nightly run (`run --force`, what every later
night is) is timed; then `whatif` runs a realistic change set (a quota cut, three
account moves, a hire with a quota beside the most critical seller) on
that published warehouse, and a quota cut alone (which leaves the account-level marts
as published: they read no quota, so the scenario keeps them). The first scenario after a change of the dbt project or policy
also compiles the models once (cached); the others do not. Each command is timed as a
whole process, start-up included; nightly runs and scenarios alternate, so both see the
same share of a busy machine, and the fastest of each is reported, with the CPU seconds
of the whole process tree (less sensitive to other work on the machine than wall time).

Usage: python bench/bench_whatif.py [--sizes 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import yaml

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
OUT_DIR = BENCH_DIR / "out" / "whatif"
CLI = Path(sys.executable).with_name("quota-pipeline")
SEED = 7


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the whole process tree) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:2])} exited {result.returncode}: {result.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def extracts_for(size: int, env: dict[str, str]) -> Path:
    folder = DATA_DIR / str(size)
    if not (folder / "accounts.csv").exists():
        shutil.rmtree(folder, ignore_errors=True)
        command = [str(CLI), "generate", "--out", str(folder), "--accounts", str(size)]
        timed([*command, "--seed", str(SEED)], env)
    return folder


def change_set(warehouse: Path) -> dict[str, object]:
    """Changes a planner would try, on ids taken from the published run."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        period, seller, quota, currency = con.execute(
            "select q.period, q.seller_id, q.quota_amount, q.currency_iso from raw.quotas q "
            "join risk.quota_risk r using (seller_id, period) where not q._is_quarantined "
            "and r.risk_level = 'critical' order by r.quota desc, q.seller_id limit 1"
        ).fetchall()[0]
        moves = con.execute(
            "select account_id from raw.accounts where not _is_quarantined and owner_seller_id "
            "is not null order by account_id limit 3"
        ).fetchall()
        target = con.execute(
            "select territory_id from raw.sellers where seller_id = $s", {"s": seller}
        ).fetchall()[0][0]
    cut = f"{int(float(quota) * 0.8)}"
    hire = {
        "seller_id": "HIRE-001", "seller_name": "Planned hire", "territory_id": target,
        "role": "Account Executive", "seniority": "mid", "hire_date": "2020-01-01",
        "ote_amount": "150000", "currency_iso": "USD", "strategic_focus": None,
        "status": "active",
    }  # fmt: skip
    return {
        "name": "bench",
        "quotas": [
            {"seller_id": seller, "period": period, "quota_amount": cut, "currency_iso": currency},
            {
                "seller_id": "HIRE-001",
                "period": period,
                "quota_amount": "400000",
                "currency_iso": "USD",
            },
        ],
        "account_owners": [{"account_id": a, "owner_seller_id": "HIRE-001"} for (a,) in moves],
        "new_sellers": [hire],
    }


def bench_size(size: int, repeat: int) -> dict[str, float]:
    out = OUT_DIR / str(size)
    shutil.rmtree(out, ignore_errors=True)
    (out / "dagster_home").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTA_")}
    env.update(
        QUOTA_WAREHOUSE=str(out / "warehouse.duckdb"),
        QUOTA_OPS_DB=str(out / "ops.duckdb"),
        DAGSTER_HOME=str(out / "dagster_home"),
    )
    extracts = extracts_for(size, env)
    run = [str(CLI), "run", "--extracts", str(extracts)]
    print(f"{size:,} accounts: first night ...", flush=True)
    timed(run, env)
    changes = out / "CHANGES.yaml"
    changes.write_text(yaml.safe_dump(change_set(out / "warehouse.duckdb")), encoding="utf-8")
    for cached in (out / ".cache").glob("dbt-models-*.json"):
        cached.unlink()
    quota_cut = out / "CHANGES-quotas.yaml"
    quota_cut.write_text(yaml.safe_dump(quotas_only(changes)), encoding="utf-8")
    whatif = [str(CLI), "whatif", str(changes)]
    first = timed(whatif, env)[0]
    # Interleaved, so all commands see the same share of a busy machine; fastest of each.
    nightly, scenario, quotas = [], [], []
    for _ in range(repeat):
        nightly.append(timed([*run, "--force"], env))
        scenario.append(timed(whatif, env))
        quotas.append(timed([str(CLI), "whatif", str(quota_cut)], env))
    print(f"  nightly (wall, cpu) {nightly}; scenario {scenario}; quotas {quotas}", flush=True)
    return {
        "accounts": size,
        "nightly": min(wall for wall, _cpu in nightly),
        "nightly_cpu": min(cpu for _wall, cpu in nightly),
        "first": first,
        "scenario": min(wall for wall, _cpu in scenario),
        "scenario_cpu": min(cpu for _wall, cpu in scenario),
        "quotas": min(wall for wall, _cpu in quotas),
        "quotas_cpu": min(cpu for _wall, cpu in quotas),
    }


def quotas_only(changes: Path) -> dict[str, object]:
    """The bench change set's quota cut alone, as its own scenario."""
    full = yaml.safe_load(changes.read_text(encoding="utf-8"))
    return {"name": "bench-quotas", "quotas": full["quotas"][:1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args(argv)
    rows = [bench_size(size, arguments.repeat) for size in arguments.sizes]
    print()
    print(
        "| accounts | nightly s | scenario s | scenario / nightly | nightly CPU s "
        "| scenario CPU s | CPU ratio | first scenario s (compiles dbt) "
        "| quota cut alone s | its ratio | its CPU s | its CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['accounts']:,} | {row['nightly']:.1f} | {row['scenario']:.2f} "
            f"| {row['scenario'] / row['nightly']:.2f} | {row['nightly_cpu']:.1f} "
            f"| {row['scenario_cpu']:.2f} | {row['scenario_cpu'] / row['nightly_cpu']:.2f} "
            f"| {row['first']:.1f} | {row['quotas']:.2f} "
            f"| {row['quotas'] / row['nightly']:.2f} | {row['quotas_cpu']:.2f} "
            f"| {row['quotas_cpu'] / row['nightly_cpu']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
