"""The one async-aware call path for hook implementations, with optional tracing.

Implementations may be plain functions or ``async def``; every result goes
through :func:`maybe_await`. Hooks never use pluggy's ``firstresult`` (a
coroutine object is not ``None``, so pluggy would stop at it even when it
resolves to ``None``); :meth:`StoreHooks.first_result` awaits in order instead.

Implementations are called one by one (in pluggy's order: ``tryfirst`` first,
later-registered before earlier, ``trylast`` last) so the kernel knows which
plugin produced which result; each gets only the arguments it names, so an
implementation may accept any subset of its hook's arguments.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterator
from typing import Any

from pluggy import HookCallError, HookImpl

log = logging.getLogger("pycommerce.plugins.trace")

_trace = False


def set_tracing(enabled: bool) -> None:
    """``PYCOMMERCE_TRACE_HOOKS=1``: log every hook call (hook, plugin, store, duration)."""
    global _trace
    _trace = enabled


def tracing() -> bool:
    return _trace


async def maybe_await(value: Any) -> Any:
    while inspect.isawaitable(value):
        value = await value
    return value


def call_order(impls: list[HookImpl]) -> Iterator[HookImpl]:
    """Non-wrapper implementations in the order pluggy would call them."""
    for impl in reversed(impls):
        if not (impl.wrapper or impl.hookwrapper):
            yield impl


async def call_impl(impl: HookImpl, hook_name: str, kwargs: dict[str, Any], store_id: int | None) -> Any:
    """Call one implementation with the arguments it names; await it when it is async."""
    try:
        args = {name: kwargs[name] for name in impl.argnames}
    except KeyError as exc:
        raise HookCallError(f"hook {hook_name} called without argument {exc.args[0]!r}, "
                            f"which plugin {impl.plugin_name!r} needs") from None
    if not _trace:
        return await maybe_await(impl.function(**args))
    started = time.perf_counter()
    outcome = "ok"
    try:
        return await maybe_await(impl.function(**args))
    except BaseException:
        outcome = "error"
        raise
    finally:
        log.info("hook %s plugin %s store %s %.2f ms", hook_name, impl.plugin_name, store_id,
                 (time.perf_counter() - started) * 1000,
                 extra={"hook": hook_name, "plugin": impl.plugin_name, "store_id": store_id,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3), "outcome": outcome})


def monitor(pm) -> None:
    """Trace hook calls made directly through ``pm.hook`` (start-up hooks) as well."""
    timings: dict[int, float] = {}

    def before(hook_name, hook_impls, kwargs):
        timings[id(hook_impls)] = time.perf_counter()

    def after(outcome, hook_name, hook_impls, kwargs):
        started = timings.pop(id(hook_impls), time.perf_counter())
        if _trace:
            log.info("hook %s plugins %s %.2f ms", hook_name, [i.plugin_name for i in hook_impls],
                     (time.perf_counter() - started) * 1000,
                     extra={"hook": hook_name, "plugins": [i.plugin_name for i in hook_impls], "store_id": None,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 3)})

    pm.add_hookcall_monitoring(before, after)
