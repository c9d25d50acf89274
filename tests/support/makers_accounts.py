"""Isolation object makers for the accounts routes (staff members, API keys)."""

from __future__ import annotations

from kernel.accounts.apikeys import create_api_key
from tests.support.isolation import object_maker


@object_maker("user_id")
async def _staff_member(factory, store) -> str:
    actor = await factory.staff(store, "staff")
    return str(actor.user.id)


@object_maker("api_key_id")
async def _api_key(factory, store) -> str:
    async with factory.session(store) as session:
        key, _token = await create_api_key(session, name="isolation", scopes=["catalog:read"], created_by_user_id=None)
    return str(key.id)
