"""Where mail goes: an SMTP server, or ``.eml`` files under ``var/mail`` for local use."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from kernel.config import Settings


class MailBackend(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpBackend:
    """Plain SMTP (``Settings.smtp_host``/``smtp_port``); smtplib runs in a thread to keep the loop free."""

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.host, self.port, self.timeout = host, port, timeout

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)


class FileBackend:
    """Writes each message as ``<var>/mail/<id>.eml``: open it in any mail client while developing."""

    def __init__(self, directory: Path):
        self.directory = directory

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = message["X-PyCommerce-Message-Id"] or "message"
        (self.directory / f"{name}.eml").write_bytes(bytes(message))

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)


def backend_for(settings: Settings) -> MailBackend:
    if settings.mail_backend == "smtp":
        return SmtpBackend(settings.smtp_host, settings.smtp_port)
    return FileBackend(settings.var_dir / "mail")
