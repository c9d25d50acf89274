"""Isolation object makers for the store routes (see tests/support/isolation.py)."""

from __future__ import annotations

from kernel.stores.models import StoreDomain
from kernel.stores.verification import new_token
from tests.support.factory import unique
from tests.support.isolation import object_maker


@object_maker("hostname")
async def _hostname(factory, store) -> str:
    """A custom domain the store lists (unverified)."""
    host = f"shop.{unique('iso')}.example"
    async with factory.session(store) as session:
        session.add(StoreDomain(store_id=store.id, hostname=host, verification_token=new_token()))
    return host
