"""Demo data for a fresh local install: one store, its owner, and a platform administrator; the
store has a few products in stock and the built-in payment, shipping and tax plugins enabled, so
its storefront (http://demo.localhost:8000/) can be shopped at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from kernel.accounts.models import StaffRole
from kernel.accounts.service import create_user, grant_role
from kernel.catalog.schemas import ProductCreate
from kernel.catalog.service import create_product
from kernel.config import Settings
from kernel.db import create_engine_for, make_sessionmaker, store_session
from kernel.plugins import enable_plugin
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
            await _stock_the_shop(session)
            return accounts
    finally:
        await engine.dispose()


DEMO_PRODUCTS = (
    {"name": "Organic T-shirt", "description": "Soft organic cotton, cut for every day.",
     "options": [{"name": "Size", "values": ["S", "M", "L"]}],
     "variants": [{"sku": f"TEE-{size}", "price": 2400, "cost": 900, "weight_grams": 180, "options": [size],
                   "initial_stock": stock} for size, stock in (("S", 12), ("M", 20), ("L", 0))]},
    {"name": "Stoneware mug", "description": "Hand-glazed, 350 ml, dishwasher safe.",
     "variants": [{"sku": "MUG", "price": 1600, "cost": 500, "weight_grams": 420, "initial_stock": 30}]},
    {"name": "Gift card", "description": "Delivered by email; never runs out.",
     "variants": [{"sku": "GIFT-25", "price": 2500, "cost": 0, "weight_grams": 0, "track_inventory": False}]},
)


async def _stock_the_shop(session) -> None:
    for product in DEMO_PRODUCTS:
        await create_product(session, ProductCreate.model_validate({**product, "status": "active"}), actor="demo")
    await enable_plugin(session, "manual_payments")
    await enable_plugin(session, "shipping_methods")
    await enable_plugin(session, "regional_tax", {"rates": [
        {"country": "US", "region": "CA", "rate_bp": 725, "name": "CA sales tax"},
        {"country": "DE", "rate_bp": 1900, "name": "MwSt"}]})
