"""orders: pyc_take_order_number, the store's next order number in one round trip (PostgreSQL)

Placing an order takes its number in a transaction of its own (see
``kernel.orders.service.take_order_number``); this function is that whole transaction: bind it
to the store for row-level security, create the counter row on first use, bump it, return the
number. ``synchronous_commit`` is off for it alone: the order that uses the number commits after
it and with a flush, which makes the bump durable too; if the server fails before that, the
number was never used.

Revision ID: orders_0002
Revises: orders_0001
"""
from alembic import op

revision = 'orders_0002'
down_revision = 'orders_0001'
branch_labels = None
depends_on = None

TAKE_ORDER_NUMBER = """
CREATE OR REPLACE FUNCTION pyc_take_order_number(p_store_id integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    taken integer;
BEGIN
    PERFORM set_config('app.store_id', p_store_id::text, true);
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE order_counters SET last_number = last_number + 1 WHERE store_id = p_store_id
        RETURNING last_number INTO taken;
    IF taken IS NULL THEN
        INSERT INTO order_counters (store_id, last_number) VALUES (p_store_id, 0)
            ON CONFLICT (store_id) DO NOTHING;
        UPDATE order_counters SET last_number = last_number + 1 WHERE store_id = p_store_id
            RETURNING last_number INTO taken;
    END IF;
    RETURN taken;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TAKE_ORDER_NUMBER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pyc_take_order_number(integer)")
