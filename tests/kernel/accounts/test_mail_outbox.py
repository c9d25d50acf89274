"""The mail outbox: written with the caller's transaction, sent after commit, retried when SMTP is down."""

from __future__ import annotations

from aiosmtpd.controller import Controller
from sqlalchemy import select

from kernel import aftercommit
from kernel.db import store_session
from kernel.mail import queue_mail, send_pending_mail
from kernel.mail.models import MailMessage, MailStatus
from tests.support.mail import Capture, free_port
from tests.support.factory import unique


async def status_of(sessionmaker, to):
    async with sessionmaker() as session:
        return (await session.execute(select(MailMessage).where(MailMessage.to_address == to))).scalar_one()


async def test_rolled_back_mail_is_never_sent(sessionmaker, settings):
    to = f"{unique('r')}@example.com"
    try:
        async with store_session(sessionmaker, None) as session:
            await queue_mail(session, settings, to=to, subject="nope", text="never")
            raise RuntimeError("the change fails")
    except RuntimeError:
        pass
    async with sessionmaker() as session:
        assert (await session.execute(select(MailMessage).where(MailMessage.to_address == to))).first() is None


async def test_unreachable_smtp_keeps_the_message_for_a_later_run(sessionmaker, settings):
    port = free_port()
    smtp = settings.model_copy(update={"mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port})
    to = f"{unique('m')}@example.com"
    async with store_session(sessionmaker, None) as session:
        await queue_mail(session, smtp, to=to, subject="Hello ✓", text="Grüße", html="<p>Grüße</p>")
    await aftercommit.drain()
    await send_pending_mail(sessionmaker, smtp)  # nobody listening on the port
    row = await status_of(sessionmaker, to)
    assert row.status == MailStatus.pending and row.attempts >= 1 and row.last_error

    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await send_pending_mail(sessionmaker, smtp)
    finally:
        controller.stop()
    received = [m for m in capture.messages() if m["To"] == to]
    assert len(received) == 1 and received[0]["Subject"] == "Hello ✓"
    assert received[0].get_body(("html",)).get_content().strip() == "<p>Grüße</p>"
    assert (await status_of(sessionmaker, to)).status == MailStatus.sent
    # Sent once: a further run sends nothing more for it.
    await send_pending_mail(sessionmaker, smtp)
    assert len([m for m in capture.messages() if m["To"] == to]) == 1


async def test_purge_removes_expired_sessions_only(factory, sessionmaker):
    from datetime import timedelta

    from sqlalchemy import update

    from kernel.accounts.maintenance import purge_expired_auth_rows
    from kernel.accounts.models import AuthSession
    from kernel.db import utcnow
    from kernel.security import token_digest

    expired, live = await factory.user(), await factory.user()
    async with sessionmaker() as session, session.begin():
        await session.execute(update(AuthSession).where(AuthSession.token_digest == token_digest(expired.token))
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    counts = await purge_expired_auth_rows(sessionmaker)
    assert counts["auth_sessions"] >= 1
    async with sessionmaker() as session:
        digests = set((await session.execute(select(AuthSession.token_digest).where(
            AuthSession.user_id.in_([expired.user.id, live.user.id])))).scalars())
    assert digests == {token_digest(live.token)}
