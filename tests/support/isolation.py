"""The registry behind the route-walking isolation test.

Every path parameter of a store-scoped route (``/api/v1/stores/{store_slug}/…``)
other than ``store_slug`` needs an *object maker* here: an async function that
creates such an object in a given store and returns the value to put in the
path. The walker uses them to aim store A's credentials at store B's objects;
a route whose parameter has no maker fails the test, so no new tenant-scoped
route ships without being attacked.

Register from the domain's own test support module with ``@object_maker("param")``
and import that module in ``MAKER_MODULES`` below.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

ObjectMaker = Callable[..., Awaitable[str]]  # (factory, store) -> path value
OBJECT_MAKERS: dict[str, ObjectMaker] = {}

MAKER_MODULES: tuple[str, ...] = ("tests.support.makers_plugins", "tests.support.makers_catalog",
                                 "tests.support.makers_accounts", "tests.support.makers_orders",
                                 "tests.support.makers_stores")


def object_maker(param: str):
    def register(fn: ObjectMaker) -> ObjectMaker:
        OBJECT_MAKERS[param] = fn
        return fn

    return register


def load_makers() -> dict[str, ObjectMaker]:
    for name in MAKER_MODULES:
        importlib.import_module(name)
    return OBJECT_MAKERS
