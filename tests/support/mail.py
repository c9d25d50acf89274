"""A real SMTP server (aiosmtpd) capturing what the app sends."""

from __future__ import annotations

import email
import socket
from email.policy import default as default_policy


class Capture:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]


def free_port() -> int:
    """aiosmtpd cannot start on port 0 (it connects to its port to check readiness): pick one first."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
