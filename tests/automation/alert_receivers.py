"""Real local alert receivers for the automation tests: an HTTP server that records webhook
posts and an SMTP server (aiosmtpd) that records mail, with the credentials they accept.

The fixtures that start them are in conftest.py; tests import the credentials from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler

from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER = "ops-bot"
SMTP_PASSWORD = "s3cr3t-smtp-Pa55"
WEBHOOK_TOKEN = "T000/B000/XXXXsecretXXXX"


@dataclass
class Webhook:
    url: str
    posts: list[dict] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)


class WebhookHandler(BaseHTTPRequestHandler):
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


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def authenticate(_server, _session, _envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_USER
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok)


@dataclass
class Mailbox:
    port: int
    inbox: Inbox
