"""Seed the benchmark database: N stores × M products × 3 variants, with stock, through Core bulk inserts."""

from __future__ import annotations

import random
import sys

from sqlalchemy import create_engine, insert, select

from kernel.accounts.models import StaffMembership, StaffRole, User
from kernel.catalog.models import Product, ProductStatus, ProductVariant
from kernel.db import sync_url, utcnow
from kernel.models import load_all_models
from kernel.security import hash_password
from kernel.stores.models import Store

COLOURS = ["red", "blue", "green", "black", "white", "grey", "navy", "olive"]
NOUNS = ["scarf", "hat", "mug", "jacket", "sock", "lamp", "chair", "notebook", "backpack", "bottle"]
PASSWORD = "bench-password-1"


def seed(owner_url: str, stores: int = 2, products: int = 10_000, variants: int = 3) -> None:
    load_all_models()
    rng = random.Random(42)
    engine = create_engine(sync_url(owner_url))
    now = utcnow()
    with engine.begin() as c:
        if c.execute(select(Store.id).limit(1)).first():
            print("already seeded")
            return
        user_id = c.execute(insert(User).values(email="owner@bench.local", full_name="Bench", password_hash=hash_password(PASSWORD),
                                                is_platform_admin=False, is_active=True, created_at=now,
                                                updated_at=now).returning(User.id)).scalar_one()
        for s in range(1, stores + 1):
            store_id = c.execute(insert(Store).values(slug=f"bench{s}", name=f"Bench {s}", status="active",
                                                      currency="USD", locale="en_US", timezone="UTC",
                                                      plugins_version=1, created_at=now, updated_at=now)
                                 .returning(Store.id)).scalar_one()
            c.execute(insert(StaffMembership).values(store_id=store_id, user_id=user_id, role=StaffRole.owner.value,
                                                     created_at=now, updated_at=now))
            product_rows = []
            for p in range(products):
                name = f"{rng.choice(COLOURS).title()} {rng.choice(NOUNS)} {p}"
                product_rows.append({"store_id": store_id, "name": name, "slug": f"p-{p}",
                                     "description": f"A fine {name.lower()} for every day.",
                                     "status": ProductStatus.active.value, "tax_class": "standard",
                                     "created_at": now, "updated_at": now})
            ids = c.execute(insert(Product).returning(Product.id, sort_by_parameter_order=True),
                            product_rows).scalars().all()
            variant_rows = []
            for pid in ids:
                for v in range(variants):
                    variant_rows.append({"store_id": store_id, "product_id": pid, "sku": f"SKU-{pid}-{v}",
                                         "title": ["S", "M", "L"][v % 3], "position": v,
                                         "price": rng.randrange(500, 20_000), "cost": rng.randrange(100, 400),
                                         "weight_grams": 300, "track_inventory": True, "allow_backorder": False,
                                         "stock_on_hand": rng.randrange(0, 100), "created_at": now,
                                         "updated_at": now})
            c.execute(insert(ProductVariant), variant_rows)
            print(f"seeded store bench{s}: {products} products, {products * variants} variants")
    engine.dispose()


if __name__ == "__main__":
    seed(sys.argv[1], *(int(a) for a in sys.argv[2:]))
