"""Work that must run only once a request's transaction has committed (sending queued mail, say).

    after_commit(session, lambda: send_pending_mail(sessionmaker, settings))

:func:`kernel.deps.get_session` runs the callbacks as background tasks after a successful commit and
drops them on rollback, so nothing is ever sent for a change that did not happen. The tasks are kept
referenced (asyncio only holds weak references) and can be awaited with :func:`drain`, which tests
and a graceful shutdown use. When the job queue lands, callbacks can enqueue jobs instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("pycommerce.aftercommit")

_KEY = "after_commit"
_tasks: set[asyncio.Task] = set()


def after_commit(session: AsyncSession, fn: Callable[[], Awaitable[Any]]) -> None:
    """Run ``fn()`` in the background once the session's transaction has committed."""
    callbacks = session.info.setdefault(_KEY, [])
    if fn not in callbacks:
        callbacks.append(fn)


async def _guarded(fn: Callable[[], Awaitable[Any]]) -> None:
    try:
        await fn()
    except Exception:  # a background failure must be visible, never crash the loop silently
        log.exception("after-commit task failed")


def run_after_commit(session: AsyncSession) -> None:
    """Start the session's callbacks (call right after a successful commit)."""
    for fn in session.info.pop(_KEY, []):
        task = asyncio.get_running_loop().create_task(_guarded(fn))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(_KEY, None)


async def drain() -> None:
    """Wait for every after-commit task started so far."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)
