"""Alerts to planning ops: what failed, how many rows, a few examples, where to look.

Plain Python, no Dagster: the headless CLI, the sensors and the tests all raise alerts
through ``raise_alert``. Channels come from environment variables only (webhook, SMTP);
a log line and a row in the operations database's ``alerts`` table are always written.
An alert's id is a hash of its run and source, and an id already in the ``alerts`` table
is never sent again, so a restarted sensor or a CLI run seen by a sensor cannot repeat
it. Webhook and SMTP failures are retried with exponential backoff and recorded in
``delivered_to``, never raised. Secrets (the webhook URL, the SMTP password) are kept out
of every text that leaves this module: ``redact`` runs on all of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import smtplib
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import duckdb

from quota_pipeline.publish.opsdb import record_alert

LOGGER = logging.getLogger("quota_pipeline.alerts")
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Alert:
    """One thing planning ops must know about, once."""

    run_id: str | None
    severity: str
    source: str
    summary: str
    rows: int | None = None
    examples: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    dedup_key: str = ""

    @property
    def alert_id(self) -> str:
        """Stable id: one alert per run and source (and per stale episode)."""
        basis = f"{self.run_id or '-'}|{self.source}|{self.dedup_key}"
        return hashlib.sha256(basis.encode()).hexdigest()[:24]

    @property
    def title(self) -> str:
        return f"[quota_pipeline {self.severity.upper()}] {self.summary}"


def alert_text(alert: Alert) -> str:
    """The alert as people read it: what, how many rows, examples, where to look."""
    lines = [alert.title]
    if alert.rows is not None:
        lines.append(f"Rows affected: {alert.rows:,}")
    if alert.examples:
        lines.append("Examples:")
        lines += [f"  - {example}" for example in alert.examples]
    if alert.where:
        lines.append("Where to look:")
        lines += [f"  - {place}" for place in alert.where]
    lines.append(f"Run: {alert.run_id or 'n/a'} | source: {alert.source} | alert {alert.alert_id}")
    return "\n".join(lines)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value in ``text`` (longest first) with ***."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Channels:
    """Where alerts go besides the log and the ops database, from QUOTA_ALERT_* variables."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    email_from: str | None = None
    email_to: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Channels:
        recipients = environ.get("QUOTA_ALERT_EMAIL_TO") or ""
        return cls(
            webhook_url=environ.get("QUOTA_ALERT_WEBHOOK_URL") or None,
            smtp_host=environ.get("QUOTA_ALERT_SMTP_HOST") or None,
            smtp_port=int(environ.get("QUOTA_ALERT_SMTP_PORT") or 25),
            smtp_user=environ.get("QUOTA_ALERT_SMTP_USER") or None,
            smtp_password=environ.get("QUOTA_ALERT_SMTP_PASSWORD") or None,
            email_from=environ.get("QUOTA_ALERT_EMAIL_FROM") or None,
            email_to=tuple(r.strip() for r in recipients.split(",") if r.strip()),
        )

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.email_to)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log, metadata or alert text."""
        values = [self.webhook_url, self.smtp_password]
        if self.smtp_user and self.smtp_password:
            values.append(f"{self.smtp_user}:{self.smtp_password}")
        return tuple(value for value in values if value)


@dataclass(frozen=True)
class Delivery:
    """Retry policy of the webhook and SMTP channels (policy ``alerts`` block)."""

    attempts: int = 3
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0


def backoff_delays(delivery: Delivery) -> list[float]:
    """Seconds to wait before each retry: backoff, 2 x backoff, 4 x backoff, ..."""
    return [delivery.backoff_seconds * 2**attempt for attempt in range(delivery.attempts - 1)]


def with_retries(
    send: Callable[[], None], delivery: Delivery, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Run ``send`` until it succeeds or attempts run out; the outcome as a short text.

    The text names the error's type only: messages of HTTP and SMTP errors may carry the
    URL or the credentials.
    """
    delays = backoff_delays(delivery)
    for attempt in range(1, delivery.attempts + 1):
        try:
            send()
        except Exception as error:
            failure = _error_name(error)
            if attempt <= len(delays):
                sleep(delays[attempt - 1])
        else:
            return "ok" if attempt == 1 else f"ok after {attempt} attempts"
    return f"failed after {delivery.attempts} attempts ({failure})"


def _error_name(error: Exception) -> str:
    code = getattr(error, "code", None) or getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def post_webhook(url: str, text: str, alert: Alert, timeout: float) -> None:
    """A Slack-compatible incoming-webhook POST: JSON with a ``text`` field."""
    payload = {
        "text": text,
        "alert_id": alert.alert_id,
        "severity": alert.severity,
        "source": alert.source,
        "run_id": alert.run_id,
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def send_email(channels: Channels, text: str, alert: Alert, timeout: float) -> None:
    """One plain-text e-mail; STARTTLS when offered, login only with user and password."""
    message = EmailMessage()
    message["Subject"] = alert.title
    message["From"] = channels.email_from or "quota-pipeline@localhost"
    message["To"] = ", ".join(channels.email_to)
    message["X-Quota-Alert-Id"] = alert.alert_id
    message.set_content(text)
    with smtplib.SMTP(channels.smtp_host or "", channels.smtp_port, timeout=timeout) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        if channels.smtp_user and channels.smtp_password:
            smtp.login(channels.smtp_user, channels.smtp_password)
        smtp.send_message(message)


def already_raised(ops_db: Path, alert_id: str) -> bool:
    """True when the operations database already holds this alert."""
    if not ops_db.exists():
        return False
    try:
        with duckdb.connect(str(ops_db), read_only=True) as con:
            return bool(
                con.execute("select 1 from alerts where alert_id = ?", [alert_id]).fetchall()
            )
    except duckdb.Error:
        return False


def raise_alert(
    alert: Alert,
    ops_db: Path,
    channels: Channels,
    delivery: Delivery,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Deliver ``alert`` on every configured channel once; False when it was already raised."""
    if already_raised(ops_db, alert.alert_id):
        return False
    secrets = channels.secrets()
    text = redact(alert_text(alert), secrets)
    LOGGER.warning("ALERT %s", text.replace("\n", " | "))
    delivered = ["log"]
    if channels.webhook_url:
        url = channels.webhook_url
        outcome = with_retries(
            lambda: post_webhook(url, text, alert, delivery.timeout_seconds), delivery, sleep
        )
        delivered.append(f"webhook: {outcome}")
    if channels.email_enabled:
        outcome = with_retries(
            lambda: send_email(channels, text, alert, delivery.timeout_seconds), delivery, sleep
        )
        delivered.append(f"email: {outcome}")
    delivered.append("ops_db")
    record_alert(
        ops_db,
        alert_id=alert.alert_id,
        run_id=alert.run_id,
        raised_at=datetime.now(UTC).replace(tzinfo=None),
        severity=alert.severity,
        source=alert.source,
        message=text,
        delivered_to=redact("; ".join(delivered), secrets),
    )
    return True


def raise_all(
    alerts: list[Alert], ops_db: Path, channels: Channels, delivery: Delivery
) -> list[Alert]:
    """Raise every alert; a failure of one (even of the ops database) is logged, not raised."""
    raised = []
    for alert in alerts:
        try:
            if raise_alert(alert, ops_db, channels, delivery):
                raised.append(alert)
        except Exception as error:
            LOGGER.error(
                "could not record alert %s from %s: %s",
                alert.alert_id,
                alert.source,
                _error_name(error),
            )
    return raised


def stale_alert(
    last_success: datetime | None, now: datetime, stale_after_hours: float, where: tuple[str, ...]
) -> Alert | None:
    """An alert when the last successful publish is older than the policy allows.

    One alert per stale episode: its id hangs on the last success it is measured from.
    A warehouse that was never published is not stale (the failed runs alert already).
    """
    if last_success is None or now - last_success <= timedelta(hours=stale_after_hours):
        return None
    age = (now - last_success).total_seconds() / 3600
    return Alert(
        run_id=None,
        severity=ERROR,
        source="stale_warehouse",
        summary=(
            f"warehouse is stale: last successful publish {last_success:%Y-%m-%d %H:%M} UTC, "
            f"{age:.1f} hours ago (policy stale_after_hours {stale_after_hours:g})"
        ),
        where=where,
        dedup_key=last_success.isoformat(),
    )


def next_cursor(cursor: str | None, seen: list[float]) -> str | None:
    """A sensor's new cursor: the latest run update time (epoch seconds) handled so far."""
    times = [float(cursor)] if cursor else []
    return repr(max(times + seen)) if times or seen else None
