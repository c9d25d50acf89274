"""accounts: plugin_data on customers (a JSON object per plugin id)

Revision ID: accounts_0003
Revises: accounts_0002
"""
from alembic import op
import sqlalchemy as sa


revision = 'accounts_0003'
down_revision = 'accounts_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plugin_data', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('plugin_data')
