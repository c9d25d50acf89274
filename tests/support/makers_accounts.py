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


@object_maker("customer_id")
async def _customer(factory, store) -> str:
    from kernel.accounts.models import Customer

    async with factory.session(store) as session:
        customer = Customer(email="isolation-customer@example.com", password_hash=None)
        session.add(customer)
        await session.flush()
    return str(customer.id)
