"""quota-pipeline: the headless entry point (run, generate), as docs/contract.md section 5 says.

Exit codes: 0 published; 1 a blocking check failed or the run broke (the published
warehouse is unchanged); 2 bad usage or unreadable input, with a one-line reason. A user's
mistake never shows a traceback: every QuotaPipelineError ends as one line on stderr.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from quota_pipeline.errors import QuotaPipelineError, UsageError
from quota_pipeline.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quota-pipeline", description="Nightly quota feasibility pipeline."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="one full recomputation, as the nightly schedule does")
    run.add_argument("--extracts", type=Path, help="extracts folder (QUOTA_EXTRACTS_DIR)")
    run.add_argument("--warehouse", type=Path, help="published DuckDB file (QUOTA_WAREHOUSE)")
    run.add_argument("--policy", type=Path, help="planning policy YAML (QUOTA_POLICY)")
    run.add_argument(
        "--force",
        action="store_true",
        help="recompute even when no extract, policy or code changed since the last publish",
    )
    generate = commands.add_parser("generate", help="write realistic synthetic extracts")
    generate.add_argument("--out", type=Path, required=True, help="folder to write into")
    generate.add_argument("--accounts", type=_positive, default=10_000)
    generate.add_argument("--sellers", type=_positive, default=None)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--format", choices=("csv", "parquet"), default="csv")
    generate.add_argument(
        "--no-overrides",
        action="store_true",
        help="leave out the optional target_overrides extract (the eight required ones only)",
    )
    _analysis_parsers(commands)
    _scenario_parsers(commands)
    return parser


def _analysis_parsers(commands: argparse._SubParsersAction) -> None:
    """query, tables and rollback: what analysts and operators run on the published file."""
    query = commands.add_parser(
        "query", help="one read-only SQL statement on the published warehouse (ops attached)"
    )
    query.add_argument("sql", help='e.g. "select * from risk.quota_risk limit 5"')
    query.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    query.add_argument("--output", type=Path, help="file to export to (stdout for csv/json)")
    query.add_argument("--max-rows", type=_positive, default=100, help="rows a table shows")
    query.add_argument("--warehouse", type=Path, help="published DuckDB file (QUOTA_WAREHOUSE)")
    query.add_argument("--scenario", metavar="NAME", help="query a what-if scenario's file instead")
    tables = commands.add_parser("tables", help="published tables, row counts, descriptions")
    tables.add_argument("--warehouse", type=Path, help="published DuckDB file (QUOTA_WAREHOUSE)")
    tables.add_argument("--views", action="store_true", help="count the rows of views too")
    rollback = commands.add_parser(
        "rollback", help="restore a kept published run (default: the one before the current)"
    )
    rollback.add_argument("--to", metavar="RUN", help="run id (or its start) to restore")
    rollback.add_argument("--list", action="store_true", help="list the kept runs and exit")
    rollback.add_argument("--warehouse", type=Path, help="published DuckDB file (QUOTA_WAREHOUSE)")


ANALYSIS_COMMANDS = ("query", "tables", "rollback")
SCENARIO_COMMANDS = ("whatif", "scenarios")


def _scenario_parsers(commands: argparse._SubParsersAction) -> None:
    """whatif and scenarios: what-if scenarios on the published run (quota_pipeline/scenarios)."""
    whatif = commands.add_parser(
        "whatif", help="a what-if scenario: the published run's inputs with CHANGES.yaml applied"
    )
    whatif.add_argument("changes", type=Path, help="CHANGES.yaml (quotas, account_owners, ...)")
    whatif.add_argument("--name", help="scenario name (wins over the file's name:)")
    whatif.add_argument("--warehouse", type=Path, help="published DuckDB file (QUOTA_WAREHOUSE)")
    whatif.add_argument("--policy", type=Path, help="planning policy YAML (QUOTA_POLICY)")
    scenarios = commands.add_parser("scenarios", help="list the what-if scenarios computed so far")
    scenarios.add_argument("--warehouse", type=Path, help="published DuckDB file (QUOTA_WAREHOUSE)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be > 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "run":
            return _run(arguments)
        if arguments.command in ANALYSIS_COMMANDS:
            from quota_pipeline.analysis import cli_commands

            return getattr(cli_commands, arguments.command)(arguments)
        if arguments.command in SCENARIO_COMMANDS:
            from quota_pipeline.scenarios import cli as scenario_commands

            return getattr(scenario_commands, arguments.command)(arguments)
        return _generate(arguments)
    except QuotaPipelineError as error:
        print(f"quota-pipeline: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("quota-pipeline: interrupted", file=sys.stderr)
        return 1


def _settings(arguments: argparse.Namespace) -> Settings:
    base = Settings.from_env()
    return Settings(
        extracts_dir=(arguments.extracts or base.extracts_dir).resolve(),
        warehouse=(arguments.warehouse or base.warehouse).resolve(),
        ops_db=base.ops_db,
        policy_file=(arguments.policy or base.policy_file).resolve(),
    )


def _run(arguments: argparse.Namespace) -> int:
    from quota_pipeline.automation.headless import run_pipeline
    from quota_pipeline.progress import Progress

    settings = _settings(arguments)
    settings.export()
    with Progress() as progress:
        outcome = run_pipeline(settings, progress, force=arguments.force)
        progress.summary(outcome)
    if outcome.exit_code:
        # The reason as one line on stderr, as for exit 2: what a scheduler mails to ops.
        print(f"quota-pipeline: {' '.join(outcome.message.split())}", file=sys.stderr)
    # The interpreter's last garbage collection would walk every object the run left (GX,
    # dbt, Dagster events) for about 2 s before exiting. Nothing left needs a finalizer
    # (files, connections and the run lock are closed), so they are frozen out of it.
    gc.freeze()
    return outcome.exit_code


def _generate(arguments: argparse.Namespace) -> int:
    from quota_pipeline.generate.synthetic import generate_extracts
    from quota_pipeline.policy import load_policy
    from quota_pipeline.progress import Progress

    policy = load_policy(Settings.from_env().policy_file)
    started = time.perf_counter()
    with Progress() as progress:
        progress.stage(f"generating {arguments.accounts:,} accounts into {arguments.out}")
        try:
            rows = generate_extracts(
                arguments.out,
                accounts=arguments.accounts,
                sellers=arguments.sellers,
                seed=arguments.seed,
                fmt=arguments.format,
                corporate_currency=policy.corporate_currency,
                overrides=not arguments.no_overrides,
                policy=policy,
            )
        except OSError as error:
            raise UsageError(f"{arguments.out}: cannot write ({error.strerror})") from None
        progress.table(
            "extracts written",
            [(name, f"{count:,}") for name, count in rows.items()],
            footer=f"{time.perf_counter() - started:.1f} s, {arguments.format}, seed {arguments.seed}",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
