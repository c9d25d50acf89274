"""events: the payload's version on each outbox row

``outbox_events.version``: the event catalog's version of the payload (``plugin_sdk.events``), so
delivery parses a stored event with the model it was written with. Rows written before this
migration are version 1, the only version any event had.

Revision ID: events_0002
Revises: events_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'events_0002'
down_revision = 'events_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_column('version')
