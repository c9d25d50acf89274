"""Queue mail in a unit of work; send what is pending after commit."""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.config import Settings
from kernel.db import cross_store_session, utcnow
from kernel.mail.backends import backend_for
from kernel.mail.models import MailMessage, MailStatus
from kernel.security import SecretBox

log = logging.getLogger("pycommerce.mail")

MAX_ATTEMPTS = 5
# A message claimed by a process that died mid-send is offered again after this long.
STALE_CLAIM = timedelta(minutes=10)


def _box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key.get_secret_value(),
                     [k.get_secret_value() for k in settings.previous_secret_keys])


async def queue_mail(session: AsyncSession, settings: Settings, *, to: str, subject: str, text: str,
                     html: str | None = None, store_id: int | None = None) -> MailMessage:
    """Write a message into the outbox in the caller's transaction (nothing is sent here)."""
    box = _box(settings)
    message = MailMessage(to_address=to, subject=subject[:300], text_encrypted=box.encrypt(text),
                          html_encrypted=box.encrypt(html) if html is not None else None, store_id=store_id)
    session.add(message)
    await session.flush()
    return message


def _build(settings: Settings, row: MailMessage, box: SecretBox) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["X-PyCommerce-Message-Id"] = f"{row.created_at:%Y%m%dT%H%M%S}-{row.id}"
    message.set_content(box.decrypt(row.text_encrypted))
    if row.html_encrypted is not None:
        message.add_alternative(box.decrypt(row.html_encrypted), subtype="html")
    return message


async def send_pending_mail(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                            *, limit: int = 50) -> int:
    """Send pending messages through the configured backend; returns how many were sent.

    Safe to run from several processes at once: each message is claimed by a conditional UPDATE
    (pending → sending) in its own short transaction, so only one sender ever sends it. Failures
    are retried on later runs, up to ``MAX_ATTEMPTS``. Meant to be wired as a job by the job queue.
    """
    backend, box, sent = backend_for(settings), _box(settings), 0
    async with cross_store_session(sessionmaker) as session:
        stale = utcnow() - STALE_CLAIM
        ids = (await session.execute(
            select(MailMessage.id).where(or_(
                MailMessage.status == MailStatus.pending,
                (MailMessage.status == MailStatus.sending) & (MailMessage.claimed_at < stale)))
            .order_by(MailMessage.id).limit(limit))).scalars().all()
    for message_id in ids:
        async with cross_store_session(sessionmaker) as session:
            claimed = await session.execute(
                update(MailMessage).where(MailMessage.id == message_id, or_(
                    MailMessage.status == MailStatus.pending,
                    (MailMessage.status == MailStatus.sending) & (MailMessage.claimed_at < stale)))
                .values(status=MailStatus.sending, claimed_at=utcnow(), attempts=MailMessage.attempts + 1)
                .execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                continue  # another sender got it
        async with cross_store_session(sessionmaker) as session:
            row = await session.get(MailMessage, message_id)
            try:
                await backend.send(_build(settings, row, box))
            except Exception as exc:  # a broken server must not lose the message: retry later
                log.warning("mail delivery failed", extra={"mail_id": row.id, "error": type(exc).__name__})
                row.status = MailStatus.failed if row.attempts >= MAX_ATTEMPTS else MailStatus.pending
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            else:
                row.status, row.sent_at = MailStatus.sent, utcnow()
                sent += 1
    return sent
