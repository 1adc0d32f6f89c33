"""Real local alert receivers: an HTTP server (webhook) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER = "ops-bot"
SMTP_PASSWORD = "s3cr3t-smtp-Pa55"
WEBHOOK_TOKEN = "T000/B000/XXXXsecretXXXX"


@dataclass
class Webhook:
    url: str
    posts: list[dict] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    hook: Webhook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.hook.fail_next:
            self.send_response(self.hook.fail_next.pop(0))
            self.end_headers()
            return
        self.hook.posts.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture(scope="module")
def webhook_server() -> Iterator[Webhook]:
    hook = Webhook(url="")
    handler = type("Handler", (_Handler,), {"hook": hook})
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


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _authenticate(_server, _session, _envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_USER
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok)


@dataclass
class Mailbox:
    port: int
    inbox: _Inbox


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
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
