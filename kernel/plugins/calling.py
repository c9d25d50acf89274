"""The one async-aware call path for hook implementations: time limits, the plugin's log context, tracing.

Implementations may be plain functions or ``async def``; every result goes
through :func:`maybe_await`. Hooks never use pluggy's ``firstresult`` (a
coroutine object is not ``None``, so pluggy would stop at it even when it
resolves to ``None``); the facade (:mod:`kernel.plugins.relay`) awaits in order instead.

A time limit cuts an implementation at its next ``await``: a plain function that
blocks the event loop cannot be cut, which is why blocking work belongs in
``plugin_sdk.run_blocking``.

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

import anyio
from pluggy import HookCallError, HookImpl

from kernel.errors import DomainError
# The plugin whose implementation is running: the structured log writes it beside the store on every
# line logged meanwhile (by the plugin's own loggers, and by libraries it calls).
from kernel.observability import plugin_id_var

log = logging.getLogger("pycommerce.plugins.trace")

_trace = False



class PluginTimedOut(DomainError):
    """A hook implementation ran past its hook's time limit (where that fails the request: 504)."""

    status, title, code = 504, "Gateway Timeout", "plugin-timeout"

    def __init__(self, plugin_id: str, hook_name: str, seconds: float):
        super().__init__(f"The plugin {plugin_id!r} did not answer {hook_name} within {seconds:g} s.")
        self.plugin_id, self.hook_name, self.seconds = plugin_id, hook_name, seconds


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
    """The implementations in the order pluggy would call them (wrappers are refused at registration)."""
    return reversed(impls)


async def _limited(impl: HookImpl, hook_name: str, args: dict[str, Any], timeout: float | None) -> Any:
    token = plugin_id_var.set(impl.plugin_name)
    try:
        value = impl.function(**args)
        if not inspect.isawaitable(value):
            return value  # a plain function has already run: no time limit can cut it (see the docstring)
        if timeout is None:
            return await maybe_await(value)
        try:
            with anyio.fail_after(timeout):
                return await maybe_await(value)
        except TimeoutError:
            raise PluginTimedOut(impl.plugin_name, hook_name, timeout) from None
    finally:
        plugin_id_var.reset(token)


async def call_impl(impl: HookImpl, hook_name: str, kwargs: dict[str, Any], store_id: int | None,
                    timeout: float | None = None) -> Any:
    """Call one implementation with the arguments it names, within ``timeout`` seconds; await it when async.

    :raises PluginTimedOut: the implementation ran past ``timeout``.
    """
    try:
        args = {name: kwargs[name] for name in impl.argnames}
    except KeyError as exc:
        raise HookCallError(f"hook {hook_name} called without argument {exc.args[0]!r}, "
                            f"which plugin {impl.plugin_name!r} needs") from None
    if not _trace:
        return await _limited(impl, hook_name, args, timeout)
    started = time.perf_counter()
    outcome = "ok"
    try:
        return await _limited(impl, hook_name, args, timeout)
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
