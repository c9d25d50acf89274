"""kernel: how long a cart in checkout holds its stock, per store

``stores.checkout_hold_minutes``: 0 (every store's value after this migration) holds nothing, as
before; otherwise each update of a cart's checkout holds its lines' stock for that many minutes
(``kernel.checkout.holds``).

Revision ID: kernel_0002
Revises: kernel_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'kernel_0002'
down_revision = 'kernel_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_hold_minutes', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('checkout_hold_minutes')
