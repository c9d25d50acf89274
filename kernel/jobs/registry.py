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
import inspect
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
        raise ValueError(f"job kind {kind!r} claimed twice: by {existing.__module__}.{existing.__qualname__} "
                         f"and by {handler.__module__}.{handler.__qualname__}")
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


HandlerSource = Callable[[], Iterable[Any]]
_SOURCES: list[HandlerSource] = []


def register_job_handler_source(source: HandlerSource) -> HandlerSource:
    """Add a callable returning ``[{kind: handler}, …]`` (or awaitables of them), asked when a worker starts.

    The plugin manager registers ``lambda: pm.hook.pyc_job_handlers()`` here, so
    plugins' handlers exist in every worker without the jobs package knowing plugins.
    """
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def unregister_job_handler_source(source: HandlerSource) -> None:
    if source in _SOURCES:
        _SOURCES.remove(source)


async def register_plugin_job_handlers(results: Iterable[Any]) -> None:
    """Register what plugins returned from ``pyc_job_handlers()`` (one ``{kind: handler}`` per plugin)."""
    for mapping in results:
        if inspect.isawaitable(mapping):
            mapping = await mapping
        for kind, handler in (mapping or {}).items():
            register_job_handler(kind, handler)


async def load_job_handlers(modules: Iterable[str] | str = ()) -> list[str]:
    """Everything a worker needs before claiming: kernel and configured modules, then handler sources.

    Returns the registered kinds (logged at start-up).
    """
    load_job_modules(modules)
    for source in list(_SOURCES):
        await register_plugin_job_handlers(source())
    return registered_kinds()


def _unregister(kind: str) -> Any:  # tests only
    return _HANDLERS.pop(kind, None)
