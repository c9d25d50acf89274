"""catalog: each variant knows until when it may be held, so reads skip the holds of the rest

A variant's ``available`` units are its stock less the unexpired holds of carts in checkout
(``stock_reservations``). Every listed, searched or detailed variant looked its holds up: a
subquery per variant, a large share of a product page's PostgreSQL time
(docs/decisions/stock-holds.md), for the usual variant that nobody holds. So
``product_variants.reserved_until`` keeps the latest expiry any hold on the variant has ever had,
an upper bound on its live holds: where it is NULL or past, no hold can be live and a read takes
the stock as it is (``kernel.inventory.service.held_elsewhere``).

A trigger writes it in the same statement as the hold (insert, or an update that moves a hold's
expiry or variant), whoever writes the hold. It only ever moves forward: releasing a hold leaves
it, and it simply passes. The trigger's UPDATE names no column the variant's listed text watches
(``catalog_0003``), so it does not rewrite that text.

Revision ID: catalog_0005
Revises: catalog_0004
"""
from alembic import op
import sqlalchemy as sa

revision = 'catalog_0005'
down_revision = 'catalog_0004'
branch_labels = None
depends_on = None

# The variant of the hold NEW: its bound raised to NEW's expiry (never lowered). Both dialects.
RAISE_BOUND = ("UPDATE product_variants SET reserved_until = NEW.expires_at "
               "WHERE id = NEW.variant_id AND store_id = NEW.store_id "
               "AND (reserved_until IS NULL OR reserved_until < NEW.expires_at)")
SQLITE_TRIGGERS = {"stock_reservations_bound_insert": "AFTER INSERT ON stock_reservations",
                   "stock_reservations_bound_update": "AFTER UPDATE OF variant_id, expires_at ON stock_reservations"}


def upgrade() -> None:
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved_until', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('app.all_stores', 'on', true)")  # every store's rows, behind forced RLS
        op.execute("CREATE FUNCTION pyc_stock_reservations_bound() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {RAISE_BOUND}; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER stock_reservations_bound AFTER INSERT OR UPDATE OF variant_id, expires_at "
                   "ON stock_reservations FOR EACH ROW EXECUTE FUNCTION pyc_stock_reservations_bound()")
    else:
        for name, when in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {RAISE_BOUND}; END")
    op.execute("UPDATE product_variants SET reserved_until = (SELECT max(r.expires_at) FROM stock_reservations r "
               "WHERE r.variant_id = product_variants.id AND r.store_id = product_variants.store_id) "
               "WHERE EXISTS (SELECT 1 FROM stock_reservations r WHERE r.variant_id = product_variants.id)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('app.all_stores', '', true)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS stock_reservations_bound ON stock_reservations")
        op.execute("DROP FUNCTION IF EXISTS pyc_stock_reservations_bound()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.drop_column('reserved_until')
