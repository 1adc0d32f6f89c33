"""`quota-pipeline whatif | scenarios`: the planner's side of what-if scenarios.

Kept apart from cli.py so its parser stays one screen and these imports load only when
used. Every user mistake is a UsageError (one line, exit 2), raised below this module.
"""

from __future__ import annotations

import argparse
import importlib
import threading
from pathlib import Path

from quota_pipeline.settings import Settings

RENDER = "quota_pipeline.scenarios.render"


def _settings(arguments: argparse.Namespace) -> Settings:
    base = Settings.from_env()
    warehouse = getattr(arguments, "warehouse", None)
    policy = getattr(arguments, "policy", None)
    return Settings(
        extracts_dir=base.extracts_dir,
        warehouse=(warehouse or base.warehouse).expanduser().resolve(),
        ops_db=base.ops_db,
        policy_file=(policy or base.policy_file).expanduser().resolve(),
    )


def whatif(arguments: argparse.Namespace) -> int:
    from quota_pipeline.scenarios.run import ScenarioPaths, run_scenario

    # The page's imports (Altair, about 0.5 s) overlap the scenario's DuckDB work.
    warm = threading.Thread(target=importlib.import_module, args=(RENDER,), daemon=True)
    warm.start()
    settings = _settings(arguments)
    result = run_scenario(arguments.changes, arguments.name, settings)
    warm.join()
    from quota_pipeline.scenarios.render import read_view, summary_lines, write_page

    paths = ScenarioPaths(settings.warehouse)
    view = read_view(result.file)
    page = write_page(view, paths.page(result.name), paths.cache_dir)
    baseline = result.baseline_run_id or "the published warehouse"
    print(
        f"scenario {result.name}: {len(result.changes.changes)} changes on run {baseline} "
        f"({result.seconds:.1f} s)"
    )
    for line in summary_lines(view):
        print(line)
    if result.reused:
        print(f"kept as published (no change reaches them): {', '.join(result.reused)}")
    if result.partly_rebuilt:
        touched = ", ".join(result.partly_rebuilt)
        print(f"rebuilt only for the sellers the changes touch: {touched}")
    print(f"scenario file: {_shown(result.file)}")
    print(f"page: {_shown(page)}")
    print(f'query: quota-pipeline query --scenario {result.name} "select * from compare.sellers"')
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def scenarios(arguments: argparse.Namespace) -> int:
    from quota_pipeline.scenarios.run import ScenarioPaths, list_scenarios

    settings = _settings(arguments)
    listed = list_scenarios(settings.warehouse)
    if not listed:
        print(
            f"no scenarios in {ScenarioPaths(settings.warehouse).folder} (quota-pipeline whatif CHANGES.yaml)"
        )
        return 0
    print(
        f"{'name':<24} {'computed (UTC)':<20} {'changes':>7} {'risk moves':>10} {'territories':>11}  baseline run"
    )
    for entry in listed:
        created = f"{entry.created_at:%Y-%m-%d %H:%M:%S}" if entry.created_at else "unreadable"
        print(
            f"{entry.name:<24} {created:<20} {_n(entry.changes):>7} {_n(entry.moves):>10} "
            f"{_n(entry.territories_changed):>11}  {entry.baseline_run_id or '-'}"
        )
    return 0


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
