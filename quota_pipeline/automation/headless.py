"""`quota-pipeline run`: the nightly job, headless, on the persistent Dagster instance.

It runs the same job the schedule runs, in this process (no daemon, no webserver), on the
instance at DAGSTER_HOME so the run shows in the UI afterwards. Around it: the preflight
(exit 2 for unusable input), the run lock (one run at a time), the run_log row (every run,
failed ones included) and the summary the terminal shows.
"""

from __future__ import annotations

import gc
import json
import os
from contextlib import redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from quota_pipeline.automation.fingerprint import input_fingerprint
from quota_pipeline.automation.preflight import preflight
from quota_pipeline.automation.run_start import started_run
from quota_pipeline.errors import QuotaPipelineError, UsageError
from quota_pipeline.policy import Policy
from quota_pipeline.publish.opsdb import RunRecord, last_published_fingerprint, record_run
from quota_pipeline.settings import Settings
from quota_pipeline.warehouse.duckdb_files import connect

# Dagster instantiates only the loggers named in run config: the console log (into the
# run's log file) and the step events the terminal's progress display listens to.
CLI_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}, "step_events": {}}}


class Reporter(Protocol):
    def stage(self, text: str) -> None: ...
    def step(self, text: str) -> None: ...


@dataclass
class Outcome:
    """What a run ended with: its exit code and what the summary shows."""

    exit_code: int
    message: str
    run_id: str | None = None
    warehouse: Path | None = None
    log_file: Path | None = None
    rows_in: int = 0
    rows_quarantined: int = 0
    checks_failed: int = 0
    checks_warned: int = 0
    risk_levels: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False


# A local instance: Dagster's SQLite storage in DAGSTER_HOME itself (its default folders),
# with an event log that keeps its database engines open (automation/event_storage.py), no
# telemetry (machines with no internet), and a queue that never starts two runs of the
# nightly job at once in the UI. The folder is written in as an absolute path (a tool that
# opens the instance by its folder, without DAGSTER_HOME set, must find the storage too),
# and the file is rewritten when the folder has moved.
LOCAL_INSTANCE_HEADER = "# Written by quota-pipeline for a local instance; storage in this folder."
LOCAL_INSTANCE_YAML = (
    LOCAL_INSTANCE_HEADER
    + """
storage:
  custom:
    module: quota_pipeline.automation.event_storage
    class: LocalDagsterStorage
    config:
      base_dir: {base_dir}
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""
)


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME (default: beside the warehouse), created with a dagster.yaml if missing."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.warehouse.parent / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    instance_yaml = home / "dagster.yaml"
    wanted = LOCAL_INSTANCE_YAML.format(base_dir=json.dumps(str(home.resolve())))
    current = instance_yaml.read_text(encoding="utf-8") if instance_yaml.exists() else None
    # a file of the user's own is kept; ours is rewritten when the folder moved
    if current is None or (current.startswith(LOCAL_INSTANCE_HEADER) and current != wanted):
        instance_yaml.write_text(wanted, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return home


def run_pipeline(settings: Settings, reporter: Reporter, *, force: bool = False) -> Outcome:
    """One recomputation; skipped when nothing changed since the last publish (unless force)."""
    started = datetime.now(UTC).replace(tzinfo=None)
    reporter.stage("checking policy and extract files")
    try:
        policy, extracts = preflight(settings)
    except UsageError as error:
        _record_refused(settings, started, str(error))
        raise
    # on record as 'running' from here on (automation/run_start.py): a concurrent run is
    # recorded 'refused', and a run that dies here is found and closed as 'abandoned'
    with started_run(settings, started) as run_id:
        fingerprint = input_fingerprint(extracts, settings.policy_file)
        if not force:
            unchanged = _unchanged_since_publish(settings, fingerprint, started, run_id)
            if unchanged is not None:
                return unchanged
        return _execute(settings, policy, reporter, started, fingerprint, run_id)


def _unchanged_since_publish(
    settings: Settings, fingerprint: str, started: datetime, this_run: str
) -> Outcome | None:
    """An Outcome saying so when the inputs hash as the published warehouse's did."""
    last = last_published_fingerprint(settings.ops_db)
    if last is None or last[0] != fingerprint or not settings.warehouse.exists():
        return None
    _fingerprint, run_id, finished_at = last
    message = (
        f"no extract, policy or code changed since run {run_id} published at "
        f"{finished_at:%Y-%m-%d %H:%M:%S} UTC: nothing to recompute (use --force to rebuild)"
    )
    finished = datetime.now(UTC).replace(tzinfo=None)
    record_run(
        settings.ops_db,
        RunRecord(
            this_run, started, finished, "unchanged", message=message, fingerprint=fingerprint
        ),
    )
    return Outcome(
        exit_code=0,
        message=message,
        run_id=run_id,
        warehouse=settings.warehouse,
        risk_levels=_risk_levels(settings.warehouse),
        seconds=(finished - started).total_seconds(),
        skipped=True,
    )


def _execute(
    settings: Settings,
    policy: Policy,
    reporter: Reporter,
    started: datetime,
    fingerprint: str,
    run_id: str,
) -> Outcome:
    """The nightly job in this process; ``policy`` is the preflight's, read once for the
    run's alerts (the job's steps read the file through their resource)."""
    reporter.stage("loading pipeline definitions")
    home = dagster_home(settings)
    from dagster import DagsterInstance

    from quota_pipeline.automation.jobs import NIGHTLY_JOB_NAME
    from quota_pipeline.automation.run_alerts import raise_run_alerts, raise_stale_alert
    from quota_pipeline.automation.run_log import first_failure, is_refusal, summarise_run
    from quota_pipeline.definitions import defs
    from quota_pipeline.quality.gx_project import wait_for_data_docs

    job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
    # What start-up loaded (definitions, the dbt manifest, Dagster's and dbt's modules) lives
    # as long as the process: frozen, the garbage collector no longer walks it at every full
    # collection during the run (8 % of the run's Python time at 100k accounts).
    gc.freeze()
    log_file = run_log_file(settings, started)
    reporter.stage(f"running {NIGHTLY_JOB_NAME} (DAGSTER_HOME={home}, log {log_file})")
    with DagsterInstance.get() as instance, log_file.open("w", encoding="utf-8") as log:
        # Dagster's event lines and dbt's output go to the run's log file; the terminal
        # gets one line per step from the reporter.
        with redirect_stdout(log), redirect_stderr(log):
            result = job.execute_in_process(
                run_config=CLI_RUN_CONFIG,
                instance=instance,
                raise_on_error=False,
                tags={"quota/launched_by": "cli"},
                run_id=run_id,  # the id run_log holds since the run took the lock
            )
        run_id = result.run_id
        # GX renders Data Docs behind the run (quality/gx_project.py): the pages the checks
        # and alerts link to are written before the run reports
        wait_for_data_docs()
        # unusable input found after the preflight (exit 2) is a refusal, as before it
        refused = not result.success and is_refusal(instance, run_id)
        status = "success" if result.success else "refused" if refused else "failed"
        message = None if result.success else first_failure(instance, run_id)
        record = summarise_run(instance, run_id, status, message)
        # No daemon in a headless run: it raises its own alerts (ids dedupe with sensors).
        failure = None if result.success else (message or "run failed")
        raise_run_alerts(instance, run_id, failure, settings, log_file, policy)
    record = RunRecord(
        **{
            **record.__dict__,
            "started_at": record.started_at or started,
            "fingerprint": fingerprint if result.success else None,
        }
    )
    record_run(settings.ops_db, record)
    raise_stale_alert(settings, policy=policy)
    outcome = Outcome(
        exit_code=0 if result.success else 2 if refused else 1,
        message=f"published {settings.warehouse}" if result.success else (message or "run failed"),
        run_id=run_id,
        warehouse=settings.warehouse,
        log_file=log_file,
        rows_in=record.rows_in or 0,
        rows_quarantined=record.rows_quarantined or 0,
        checks_failed=record.checks_failed or 0,
        checks_warned=record.checks_warned or 0,
        seconds=(datetime.now(UTC).replace(tzinfo=None) - started).total_seconds(),
    )
    if result.success:
        outcome.risk_levels = _risk_levels(settings.warehouse)
    return outcome


def run_log_file(settings: Settings, started: datetime) -> Path:
    """logs/run-<UTC time>.log beside the warehouse: the full Dagster and dbt output."""
    folder = settings.warehouse.parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"run-{started:%Y%m%dT%H%M%S}.log"


def _risk_levels(warehouse: Path) -> dict[str, int]:
    with connect(warehouse, read_only=True) as con:
        rows = con.execute("select risk_level, count(*) from risk.quota_risk group by 1").fetchall()
    return {level: count for level, count in rows}


def _record_refused(settings: Settings, started: datetime, message: str) -> None:
    """A run refused at preflight is still a run the operators must see, and be alerted
    on: a changed CRM export is the most common nightly failure."""
    from quota_pipeline.automation.run_alerts import raise_refused_alert

    record = RunRecord.without_dagster("refused", started, message)
    with suppress(OSError, QuotaPipelineError):
        record_run(settings.ops_db, record)
    raise_refused_alert(record.run_id, message, settings)


if __name__ == "__main__":
    print(dagster_home(Settings.from_env()))
