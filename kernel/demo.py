"""Demo data for a fresh local install: one store, its owner, and a platform administrator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from kernel.accounts.models import StaffRole
from kernel.accounts.service import create_user, grant_role
from kernel.config import Settings
from kernel.db import create_engine_for, make_sessionmaker, store_session
from kernel.stores.models import Store
from kernel.stores.schemas import StoreCreate
from kernel.stores.service import create_store
from kernel.tenancy import bind_store


@dataclass
class DemoAccounts:
    store_slug: str
    admin_email: str
    admin_password: str
    owner_email: str
    owner_password: str


async def seed_demo(settings: Settings) -> DemoAccounts | None:
    engine = create_engine_for(settings.database_url)
    try:
        async with store_session(make_sessionmaker(engine), None) as session:
            if (await session.execute(select(func.count(Store.id)))).scalar_one():
                return None
            accounts = DemoAccounts("demo", "admin@localhost", secrets.token_urlsafe(12),
                                    "owner@demo.localhost", secrets.token_urlsafe(12))
            await create_user(session, accounts.admin_email, accounts.admin_password, full_name="Platform Admin",
                              is_platform_admin=True)
            owner = await create_user(session, accounts.owner_email, accounts.owner_password, full_name="Demo Owner")
            store = await create_store(session, StoreCreate(slug="demo", name="Demo Store", currency="USD"))
            await bind_store(session, store.id)
            await grant_role(session, owner, StaffRole.owner)
            return accounts
    finally:
        await engine.dispose()
