"""orders: plugin_data on carts, orders and payments (a JSON object per plugin id)

Revision ID: orders_0003
Revises: orders_0002
"""
from alembic import op
import sqlalchemy as sa


revision = 'orders_0003'
down_revision = 'orders_0002'
branch_labels = None
depends_on = None

TABLES = ("carts", "orders", "payments")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('plugin_data', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('plugin_data')
