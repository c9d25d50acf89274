"""A plugin's own namespace in ``plugin_data`` of carts, orders, payments and customers.

Read and written through :class:`plugin_sdk.PluginContext` (``get_plugin_data`` /
``set_plugin_data``), in the caller's transaction and store (the tenant walls apply):
the key is always the calling plugin's id, so a plugin never sees or overwrites
another's entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import Customer
from kernel.carts.models import Cart
from kernel.db import dialect_of
from kernel.errors import NotFound
from kernel.orders.models import Order, Payment

KINDS: dict[str, type] = {"cart": Cart, "order": Order, "payment": Payment, "customer": Customer}


def _model(kind: str) -> type:
    model = KINDS.get(kind)
    if model is None:
        raise ValueError(f"plugin data belongs to one of {sorted(KINDS)}, not {kind!r}")
    return model


async def _stored(session: AsyncSession, kind: str, object_id: int, *, lock: bool) -> dict[str, Any]:
    model = _model(kind)
    query = select(model.plugin_data).where(model.id == object_id)
    if lock and dialect_of(session) == "postgresql":  # two plugins writing the same row: one after the other
        query = query.with_for_update()
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFound(f"No {kind} {object_id} in this store.")
    return dict(found[0] or {})


async def get_plugin_data(session: AsyncSession, plugin_id: str, kind: str, object_id: int) -> dict[str, Any]:
    return dict((await _stored(session, kind, object_id, lock=False)).get(plugin_id) or {})


async def set_plugin_data(session: AsyncSession, plugin_id: str, kind: str, object_id: int,
                          values: dict[str, Any]) -> None:
    model = _model(kind)
    stored = await _stored(session, kind, object_id, lock=True)
    stored[plugin_id] = dict(values)
    await session.execute(update(model).where(model.id == object_id).values(plugin_data=stored)
                          .execution_options(synchronize_session=False))
