"""plugins: platform-level plugin settings; the version of each store's stored settings

Revision ID: plugins_0002
Revises: plugins_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'plugins_0002'
down_revision = 'plugins_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Platform-wide, not a tenant table: one row per plugin, written by platform administrators.
    op.create_table('platform_plugin_settings',
    sa.Column('plugin_id', sa.String(length=100), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('settings_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plugin_id', name=op.f('pk_platform_plugin_settings'))
    )
    with op.batch_alter_table('store_plugins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('store_plugins', schema=None) as batch_op:
        batch_op.drop_column('settings_version')
    op.drop_table('platform_plugin_settings')
