"""Fixtures that start the local alert receivers (alert_receivers.py) and point QUOTA_ALERT_*
at them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from alert_receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    WEBHOOK_TOKEN,
    Inbox,
    Mailbox,
    Webhook,
    WebhookHandler,
    authenticate,
)


@pytest.fixture(scope="module")
def webhook_server() -> Iterator[Webhook]:
    hook = Webhook(url="")
    handler = type("Handler", (WebhookHandler,), {"hook": hook})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    hook.url = f"http://127.0.0.1:{server.server_port}/services/{WEBHOOK_TOKEN}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook(webhook_server: Webhook) -> Webhook:
    webhook_server.posts.clear()
    webhook_server.fail_next.clear()
    return webhook_server


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield Mailbox(port=port, inbox=inbox)
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Mailbox:
    smtp_server.inbox.messages.clear()
    return smtp_server


@pytest.fixture
def alert_env(webhook, mailbox, monkeypatch) -> dict[str, str]:
    """QUOTA_ALERT_* pointing at the local receivers, with credentials."""
    env = {
        "QUOTA_ALERT_WEBHOOK_URL": webhook.url,
        "QUOTA_ALERT_SMTP_HOST": "127.0.0.1",
        "QUOTA_ALERT_SMTP_PORT": str(mailbox.port),
        "QUOTA_ALERT_SMTP_USER": SMTP_USER,
        "QUOTA_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
        "QUOTA_ALERT_EMAIL_FROM": "quota-pipeline@example.test",
        "QUOTA_ALERT_EMAIL_TO": "planning-ops@example.test, lead@example.test",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
