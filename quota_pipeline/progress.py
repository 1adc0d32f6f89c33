"""Terminal output of the CLI: rich stages and a summary on a terminal, plain lines otherwise.

Dagster step events are turned into one line per step (STEP_START) so a nightly log shows
where the run was, and a person at a terminal sees a spinner with the current stage.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.table import Table

# The Python logger the job's step_events logger writes to (automation/jobs.py); named
# here too so that importing this module does not import Dagster.
STEP_EVENTS_LOGGER = "quota_pipeline.step_events"

# risk.quota_risk's levels, least to most severe (docs/contract.md section 3)
RISK_LEVELS = ("low", "medium", "high", "critical")

STEP_NAMES = {
    "publish__build_file": "build file",
    "dbt_models": "dbt build (staging, marts, tests)",
    "publish__warehouse": "publish",
}


class _StepHandler(logging.Handler):
    """Forwards Dagster STEP_START events to the progress display."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(level=logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event") if isinstance(meta, dict) else None
        if event is None or event.event_type_value != "STEP_START":
            return
        step = event.step_key or ""
        self.progress.step(STEP_NAMES.get(step, step.replace("__", ".")))


class Progress:
    """Stages and steps: a rich status line on a terminal, plain prints elsewhere."""

    def __init__(self) -> None:
        # Bound now: during the run, sys.stdout/stderr are redirected into the run's log.
        self.out = sys.stdout
        self.console = Console(file=self.out)
        self.interactive = self.out.isatty()
        self._status: Any = None
        self._handler = _StepHandler(self)

    def __enter__(self) -> Progress:
        logging.getLogger(STEP_EVENTS_LOGGER).addHandler(self._handler)
        if self.interactive:
            self._status = self.console.status("starting")
            self._status.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        logging.getLogger(STEP_EVENTS_LOGGER).removeHandler(self._handler)
        if self._status is not None:
            self._status.stop()

    def stage(self, text: str) -> None:
        self._line(text)

    def step(self, text: str) -> None:
        self._line(f"  step: {text}")

    def _line(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)
            self.console.log(text)
        else:
            print(text, file=self.out, flush=True)

    def table(self, title: str, rows: list[tuple[str, str]], footer: str = "") -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self.interactive:
            table = Table(title=title, caption=footer)
            table.add_column("")
            table.add_column("", justify="right")
            for name, value in rows:
                table.add_row(name, value)
            self.console.print(table)
            return
        print(title, file=self.out)
        for name, value in rows:
            print(f"  {name}: {value}", file=self.out)
        if footer:
            print(footer, file=self.out, flush=True)

    def summary(self, outcome: Any) -> None:
        rows = [("status", _status(outcome))]
        if not outcome.skipped:
            rows += [
                ("rows loaded", f"{outcome.rows_in:,}"),
                ("rows quarantined", f"{outcome.rows_quarantined:,}"),
                # failed checks of severity ERROR (a blocking one stops the publish) apart
                # from warnings (failed WARN checks: drift), which never stop it
                ("checks failed", f"{outcome.checks_failed:,}"),
                ("check warnings", f"{outcome.checks_warned:,}"),
            ]
        if outcome.risk_levels:
            # risk.quota_risk has one row per seller and period: a seller counts once per
            # period it has a quota in
            rows.append(("seller-periods by risk level", risk_level_counts(outcome.risk_levels)))
        rows.append(("warehouse", str(outcome.warehouse)))
        rows.append(("published run" if outcome.skipped else "run id", outcome.run_id or "-"))
        if outcome.log_file is not None:
            rows.append(("full log", str(outcome.log_file)))
        self.table(
            "quota-pipeline run", rows, footer=f"{outcome.seconds:.1f} s - {outcome.message}"
        )


def risk_level_counts(levels: dict[str, int]) -> str:
    """``low 254, medium 31, high 12, critical 3``: every level, zeros included, in order."""
    return ", ".join(f"{level} {levels.get(level, 0):,}" for level in RISK_LEVELS)


def _status(outcome: Any) -> str:
    if outcome.exit_code != 0:
        return f"failed (exit {outcome.exit_code})"
    return "unchanged, nothing recomputed" if outcome.skipped else "published"
