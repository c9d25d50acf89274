"""Running a blocking call (a synchronous SDK, file or network I/O) without stopping the event loop.

Every hook runs on the kernel's event loop. A plain ``def`` implementation that blocks (a
synchronous HTTP client, ``time.sleep``, a PDF render) stalls every request of the process and
cannot be cut at its time limit. Hand such work to a thread::

    from plugin_sdk import run_blocking

    @hookimpl
    async def pyc_shipping_rates(cart, settings):
        quote = await run_blocking(carrier_client.quote, cart.subtotal, api_key=settings.api_key)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")


async def run_blocking(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Await ``fn(*args, **kwargs)`` run in a worker thread.

    When the hook's time limit cuts the call, the await ends at once and the thread is left to
    finish on its own (``abandon_on_cancel``): the kernel moves on, its result is discarded.
    """
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), abandon_on_cancel=True)
