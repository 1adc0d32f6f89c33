"""The alerts a finished Dagster run raises for planning ops (failed checks, a refusal,
warnings, a stale warehouse).

The headless CLI (no daemon) and the sensors share this. One root cause is one message:
a run that published nothing raises one error alert with its failed checks (unexpected
rows, examples, Data Docs pages) grouped under it; a run refused at preflight one error
alert; a published run with warnings (a drift check, rows quarantined within the policy's
tolerance) one warning alert naming the rows and the seller-periods they removed. The id
hangs on the run, so whoever sees the run first raises the alert and the others find it
already in the operations database. Paths are shown relative to the extracts folder and
the warehouse's folder: the texts go to chat and e-mail, far from this machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunRecord,
    RunsFilter,
)

from quota_pipeline.automation.alerts import (
    ERROR,
    LOGGER,
    WARNING,
    Alert,
    Channels,
    Delivery,
    raise_all,
    stale_alert,
)
from quota_pipeline.automation.run_log import first_failure, is_refusal
from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.publish.opsdb import last_fresh
from quota_pipeline.publish.retention import list_history
from quota_pipeline.quality.gx_project import docs_index
from quota_pipeline.settings import Settings


def delivery(policy: Policy) -> Delivery:
    return Delivery(
        attempts=policy.alerts.attempts,
        backoff_seconds=policy.alerts.backoff_seconds,
        timeout_seconds=policy.alerts.timeout_seconds,
    )


def shown(text: str, settings: Settings) -> str:
    """``text`` with this machine's folders taken out: extract files relative to the extracts
    folder, everything beside the warehouse relative to the warehouse's folder. Alerts go to
    chat and e-mail, where a server's absolute paths mean nothing."""
    folders = {
        settings.extracts_dir: "the extracts folder (QUOTA_EXTRACTS_DIR)",
        settings.warehouse.parent: "the warehouse's folder",
    }
    longest_first = sorted(folders, key=lambda folder: len(str(folder)), reverse=True)
    for folder in longest_first:
        text = text.replace(f"{folder}{os.sep}", "")
    for folder in longest_first:
        text = text.replace(str(folder), folders[folder])
    return text


def _where(
    settings: Settings, run_id: str | None, docs: tuple[str, ...] = (), log_file: Path | None = None
) -> tuple[str, ...]:
    places = [f"run log: {log_file}"] if log_file else []
    places += [f"Data Docs: {page}" for page in docs]
    index = docs_index(settings.warehouse.parent / "quality")
    if index.exists() and str(index) not in docs:
        places.append(f"Data Docs index: {index}")
    if run_id:
        places.append(f"Dagster run {run_id} (dagster dev, Runs tab; DAGSTER_HOME)")
    places.append(f"operations database: {settings.ops_db} (tables run_log, alerts)")
    places.append(
        "paths are relative to the warehouse's folder (QUOTA_WAREHOUSE); extract files to "
        "the extracts folder (QUOTA_EXTRACTS_DIR)"
    )
    return tuple(shown(place, settings) for place in places)


def _metadata_value(evaluation: AssetCheckEvaluation, key: str) -> object:
    entry = evaluation.metadata.get(key)
    return getattr(entry, "value", entry)


def _examples(evaluation: AssetCheckEvaluation, limit: int) -> tuple[str, ...]:
    text = _metadata_value(evaluation, "failures") or _metadata_value(evaluation, "examples")
    if not isinstance(text, str) or text == "none":
        return ()
    lines = [line.removeprefix("- ").strip() for line in text.splitlines() if line.strip()]
    return tuple(lines[:limit])


def _check_kind(evaluation: AssetCheckEvaluation) -> str:
    if evaluation.blocking:
        return "blocking check"
    return "check" if evaluation.severity == AssetCheckSeverity.ERROR else "warning check"


def _check_rows(evaluation: AssetCheckEvaluation) -> int | None:
    rows = _metadata_value(evaluation, "unexpected_rows")
    if rows is None:
        rows = _metadata_value(evaluation, "quarantined")
    return int(rows) if isinstance(rows, int | float) else None


def check_lines(evaluation: AssetCheckEvaluation, sample_size: int) -> list[str]:
    """One failed check as alert examples: what failed, then its own examples."""
    asset = "/".join(evaluation.asset_key.path)
    description = (evaluation.description or "").strip().splitlines()
    head = f"{_check_kind(evaluation)} {evaluation.check_name} failed on {asset}"
    lines = [f"{head}: {description[0]}" if description else head]
    lines += [f"{asset}: {example}" for example in _examples(evaluation, sample_size)]
    return lines


def _docs_pages(checks: list[AssetCheckEvaluation]) -> tuple[str, ...]:
    pages = (_metadata_value(evaluation, "data_docs") for evaluation in checks)
    return tuple(dict.fromkeys(str(page) for page in pages if page))


def failed_run_alert(
    run_id: str,
    failure: str,
    checks: list[AssetCheckEvaluation],
    settings: Settings,
    sample_size: int,
    log_file: Path | None = None,
    *,
    refused: bool = False,
) -> Alert:
    """A run that published nothing: one alert, its failed checks grouped under it (one
    root cause, one message). ``refused``: it stopped on unusable input (exit 2)."""
    examples = [line for evaluation in checks for line in check_lines(evaluation, sample_size)]
    rows = [_check_rows(evaluation) for evaluation in checks]
    return Alert(
        run_id=run_id,
        severity=ERROR,
        source="run",
        summary=shown(
            f"nightly run {'refused' if refused else 'failed'}, nothing published: {failure}",
            settings,
        ),
        rows=max((r for r in rows if r is not None), default=None),
        examples=tuple(shown(line, settings) for line in examples),
        where=_where(settings, run_id, _docs_pages(checks), log_file),
    )


def refused_run_alert(run_id: str, reason: str, settings: Settings) -> Alert:
    """A run refused before Dagster started (exit 2: an extract or the policy unusable)."""
    return Alert(
        run_id=run_id,
        severity=ERROR,
        source="run",
        summary=shown(f"nightly run refused, nothing published: {reason}", settings),
        where=_where(settings, None),
    )


def failed_checks(instance: DagsterInstance, run_id: str) -> list[AssetCheckEvaluation]:
    evaluations = []
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            evaluations.append(evaluation)
    return evaluations


def run_alerts(
    instance: DagsterInstance,
    run_id: str,
    failure: str | None,
    settings: Settings,
    policy: Policy,
    log_file: Path | None = None,
) -> list[Alert]:
    """The one alert a finished run deserves, if any; ``failure`` is None for a published
    run, whose warnings (failed warning checks, rows quarantined within the policy's
    tolerance) make one warning alert."""
    size = policy.quality.sample_size
    checks = failed_checks(instance, run_id)
    if failure is not None:
        refused = is_refusal(instance, run_id)
        return [
            failed_run_alert(run_id, failure, checks, settings, size, log_file, refused=refused)
        ]
    quarantine = read_quarantine(published_file(settings, run_id), size)
    warning = published_with_warnings_alert(run_id, checks, quarantine, settings, size)
    return [warning] if warning is not None else []


def published_file(settings: Settings, run_id: str) -> Path:
    """The warehouse ``run_id`` published: its history entry (the published file may be a
    later run's by the time a sensor looks), else the published file."""
    for entry in list_history(settings.warehouse):
        if entry.run_id == run_id:
            return entry.path
    return settings.warehouse


def published_with_warnings_alert(
    run_id: str,
    checks: list[AssetCheckEvaluation],
    quarantine: Quarantine,
    settings: Settings,
    sample_size: int,
) -> Alert | None:
    """A published run's warnings as one alert; None when it has none."""
    if not checks and not quarantine.rows:
        return None
    parts = []
    if checks:
        parts.append(f"{len(checks)} check{'s' if len(checks) != 1 else ''} warned")
    if quarantine.rows:
        parts.append(
            f"{quarantine.rows:,} row{'s' if quarantine.rows != 1 else ''} quarantined within "
            "max_quarantine_share and left out of the published tables"
        )
    examples = [line for evaluation in checks for line in check_lines(evaluation, sample_size)]
    examples += [f"quarantined {line}" for line in quarantine.examples]
    if quarantine.removed:
        examples.append(f"seller-periods removed from risk.quota_risk: {quarantine.removed}")
    return Alert(
        run_id=run_id,
        severity=WARNING,
        source="run",
        summary=f"nightly run published with warnings: {'; '.join(parts)}",
        rows=quarantine.rows or max((_check_rows(e) or 0 for e in checks), default=None),
        examples=tuple(shown(line, settings) for line in examples),
        where=_where(settings, run_id, _docs_pages(checks)),
    )


@dataclass(frozen=True)
class Quarantine:
    """What a published run left out: row count, example rows, seller-periods it removed."""

    rows: int = 0
    examples: tuple[str, ...] = ()
    removed: str = ""


# Quota rows are what put a seller-period into risk.quota_risk: a quarantined quota row
# (its key is seller_id|period) removes that seller-period. A quarantined seller takes its
# quota rows with it (an unknown reference), so they are counted here as well.
QUARANTINE_SQL = """
select count(*),
    list(source_file || ':' || source_line || ': ' || reason order by extract, source_line)
        [1:$sample],
    list(distinct replace(record_key, '|', ' ') order by replace(record_key, '|', ' '))
        filter (where extract = 'quotas')
from dq.quarantine
"""


def read_quarantine(warehouse: Path, sample_size: int) -> Quarantine:
    """The quarantined rows of a published warehouse; empty when it cannot be read."""
    if not warehouse.exists():
        return Quarantine()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            count, examples, removed = con.execute(
                QUARANTINE_SQL, {"sample": sample_size}
            ).fetchone()
    except duckdb.Error:
        return Quarantine()
    removed = removed or []
    listed = ", ".join(removed[:sample_size])
    if len(removed) > sample_size:
        listed += f" and {len(removed) - sample_size:,} more"
    return Quarantine(rows=int(count or 0), examples=tuple(examples or ()), removed=listed)


def raise_refused_alert(run_id: str, reason: str, settings: Settings) -> list[Alert]:
    """Raise the alert of a run refused at preflight (exit 2). Never raises."""
    try:
        policy = load_policy(settings.policy_file)
        pace = delivery(policy)
    except Exception:
        # the policy itself may be what the run refused: one quick attempt, no retries
        pace = Delivery(attempts=1, timeout_seconds=5.0)
    alert = refused_run_alert(run_id, reason, settings)
    return raise_all([alert], settings.ops_db, Channels.from_env(), pace)


def raise_run_alerts(
    instance: DagsterInstance,
    run_id: str,
    failure: str | None,
    settings: Settings,
    log_file: Path | None = None,
    policy: Policy | None = None,
) -> list[Alert]:
    """Raise a finished run's alerts on every channel (headless CLI and run sensor).

    ``policy``: the run's own (the headless run's preflight read it); a sensor, which has
    none, reads the policy file. Never raises: an alerting problem is logged, the run's own
    outcome stands.
    """
    try:
        policy = load_policy(settings.policy_file) if policy is None else policy
        alerts = run_alerts(instance, run_id, failure, settings, policy, log_file)
    except Exception as error:
        LOGGER.error("could not collect alerts of run %s: %s", run_id, type(error).__name__)
        return []
    return raise_all(alerts, settings.ops_db, Channels.from_env(), delivery(policy))


def raise_stale_alert(
    settings: Settings, now: datetime | None = None, policy: Policy | None = None
) -> Alert | None:
    """Alert when no publish succeeded for longer than the policy's stale_after_hours.

    ``policy``: the run's own, as for ``raise_run_alerts``; the sensor reads the file.
    """
    try:
        policy = load_policy(settings.policy_file) if policy is None else policy
        alert = stale_alert(
            last_fresh(settings.ops_db),
            now or datetime.now(UTC).replace(tzinfo=None),
            policy.stale_after_hours,
            tuple(
                shown(place, settings)
                for place in (
                    f"published warehouse: {settings.warehouse}",
                    f"operations database: {settings.ops_db}",
                )
            ),
        )
    except Exception as error:
        LOGGER.error("could not check warehouse staleness: %s", type(error).__name__)
        return None
    if alert is None:
        return None
    raised = raise_all([alert], settings.ops_db, Channels.from_env(), delivery(policy))
    return raised[0] if raised else None


def finished_runs_after(instance: DagsterInstance, cursor: str | None) -> list[RunRecord]:
    """Runs of any job that finished (success or failure) after ``cursor``, oldest first:
    the nightly job, "Materialize all" in the UI, a job of the user's own.

    Run-based rather than event-id based: event ids are per run on the default sharded
    SQLite storage, while run update times order runs on every storage.
    """
    return list(
        instance.get_run_records(
            filters=RunsFilter(
                statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
                updated_after=datetime.fromtimestamp(float(cursor), UTC) if cursor else None,
            ),
            order_by="update_timestamp",
            ascending=True,
            limit=100,
        )
    )


def alerts_for_runs(
    instance: DagsterInstance, runs: list[RunRecord], settings: Settings, policy: Policy
) -> list[Alert]:
    """The alert of each finished run in ``runs`` (failed: the run's failure with its
    checks; published: its warnings), the same one the CLI raises for its own runs."""
    alerts = []
    for run in runs:
        run_id = run.dagster_run.run_id
        failure = None
        if run.dagster_run.status == DagsterRunStatus.FAILURE:
            failure = first_failure(instance, run_id) or "run failed"
        alerts += run_alerts(instance, run_id, failure, settings, policy)
    return alerts
