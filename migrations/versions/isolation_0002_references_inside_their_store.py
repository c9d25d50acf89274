"""isolation: references between store tables carry store_id, so a row cannot point into another store

Most references between store tables already were composite foreign keys (``(store_id, order_id)
→ orders (store_id, id)``). These were not: a stock movement's order (no foreign key at all, so a
stock adjustment of store A could name store B's order), the customer of an order, a cart and a
sign-in session, the order a cart became and the cart an order came from, the order an
idempotency key answered with, and a search entry's product. Each gets a composite foreign key
beside its own one (whose ``ON DELETE`` it repeats, so deleting the target behaves as before);
``customers`` gets the ``UNIQUE (store_id, id)`` such a key needs.

PostgreSQL only, like the row-level security they back: the embedded SQLite database serves one
deployment's stores behind the ORM wall, and adding a constraint there means rebuilding the table.
The models do not declare them (``kernel.migrate.UNMANAGED_CONSTRAINT_PREFIX``). References that
stay plain ids say why in ``kernel.migrate.PLAIN_ID_COLUMNS``; a test reads the catalog and fails
on any other reference between store tables without ``store_id``.

Revision ID: isolation_0002
Revises: isolation_0001
"""
from alembic import op

revision = 'isolation_0002'
down_revision = 'isolation_0001'
branch_labels = None
depends_on = None

# The prefix kernel.migrate.UNMANAGED_CONSTRAINT_PREFIX hides from the models' comparison.
PREFIX = "same_store_"
UNIQUE_TARGETS = ("customers",)
# (table, column, referenced table, what deleting the referenced row does to the reference)
REFERENCES = (
    ("stock_movements", "order_id", "orders", "SET NULL (order_id)"),
    ("orders", "customer_id", "customers", "SET NULL (customer_id)"),
    ("carts", "customer_id", "customers", "SET NULL (customer_id)"),
    ("auth_sessions", "customer_id", "customers", "CASCADE"),
    ("carts", "order_id", "orders", "SET NULL (order_id)"),
    ("orders", "cart_id", "carts", "SET NULL (cart_id)"),
    ("idempotency_keys", "order_id", "orders", "SET NULL (order_id)"),
    ("product_search", "product_id", "products", "CASCADE"),
)


def _fk_name(table: str, column: str) -> str:
    return f"{PREFIX}{table}_{column}"[:63]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in UNIQUE_TARGETS:
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT {PREFIX}{table}_store_id_id UNIQUE (store_id, id)')
    for table, column, target, on_delete in REFERENCES:
        # A reference into another store (possible until now) or to no row at all is dropped first.
        stray = (f'"{column}" IS NOT NULL AND NOT EXISTS (SELECT FROM "{target}" AS t'
                 f' WHERE t.store_id = r.store_id AND t.id = r."{column}")')
        op.execute(f'UPDATE "{table}" AS r SET "{column}" = NULL WHERE {stray}' if on_delete.startswith("SET NULL")
                   else f'DELETE FROM "{table}" AS r WHERE {stray}')
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT {_fk_name(table, column)} FOREIGN KEY (store_id, "{column}")'
                   f' REFERENCES "{target}" (store_id, id) ON DELETE {on_delete}')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, _target, _on_delete in REFERENCES:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS {_fk_name(table, column)}')
    for table in UNIQUE_TARGETS:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS {PREFIX}{table}_store_id_id')
