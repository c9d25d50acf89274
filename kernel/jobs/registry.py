"""Job handlers by kind: ``@job_handler("email.send")`` in kernel code, ``pyc_job_handlers`` in plugins.

A handler is ``async def handler(session, job)`` (a plain function works too):
``session`` is the job's own unit of work, bound to ``job.store_id`` (committed
when the handler returns, rolled back when it raises); ``job`` is a
:class:`kernel.jobs.queue.JobContext`. Handlers must be idempotent: delivery is
at least once (a worker can die after the side effect and before the commit).

Every worker process needs the same registrations, so registering is done at
import time of a module the worker imports: kernel modules, the modules named in
``PYCOMMERCE_JOB_MODULES``, and plugins through the ``pyc_job_handlers`` hook.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

log = logging.getLogger("pycommerce.jobs")

Handler = Callable[..., Awaitable[None] | None]
_HANDLERS: dict[str, Handler] = {}
# Modules defining kernel handlers; imported by every worker.
KERNEL_JOB_MODULES = ("kernel.events.delivery",)


class UnknownJobKind(LookupError):
    """No handler is registered for a job's kind (the job fails and is retried, then parked)."""


def register_job_handler(kind: str, handler: Handler) -> Handler:
    existing = _HANDLERS.get(kind)
    if existing is not None and existing is not handler and \
            (getattr(existing, "__qualname__", None), getattr(existing, "__module__", None)) != \
            (getattr(handler, "__qualname__", None), getattr(handler, "__module__", None)):
        raise ValueError(f"job kind {kind!r} already has a handler: {existing.__module__}.{existing.__qualname__}")
    _HANDLERS[kind] = handler
    return handler


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: ``@job_handler("invoice.render") async def render(session, job): ...``."""

    def decorate(handler: Handler) -> Handler:
        return register_job_handler(kind, handler)

    return decorate


def get_handler(kind: str) -> Handler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise UnknownJobKind(f"no handler registered for job kind {kind!r}") from None


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


def load_job_modules(modules: Iterable[str] | str = ()) -> None:
    """Import the kernel's handler modules and ``modules`` (a list, or a comma-separated string)."""
    if isinstance(modules, str):
        modules = [m.strip() for m in modules.split(",")]
    for name in (*KERNEL_JOB_MODULES, *[m for m in modules if m]):
        importlib.import_module(name)


def register_plugin_job_handlers(results: Iterable[dict[str, Handler] | None]) -> None:
    """Register what plugins returned from ``pyc_job_handlers()`` (one ``{kind: handler}`` per plugin).

    Called with ``pm.hook.pyc_job_handlers()`` by whoever owns the plugin manager.
    """
    for mapping in results:
        for kind, handler in (mapping or {}).items():
            register_job_handler(kind, handler)


def _unregister(kind: str) -> Any:  # tests only
    return _HANDLERS.pop(kind, None)
