"""The kernel's mail outbox: messages are written in the caller's transaction and sent after commit.

    await queue_mail(session, to="a@b.example", subject="...", text="...")   # in the unit of work
    await send_pending_mail(sessionmaker, settings)                          # after commit (a job, later)

Writing the message with the change that caused it means a rolled-back change sends nothing and a
committed one is never forgotten (a crash between commit and sending leaves the row pending for the
next run). Bodies are encrypted at rest: they may carry password-reset tokens.
"""

from kernel.mail.service import queue_mail, send_pending_mail

__all__ = ["queue_mail", "send_pending_mail"]
