"""kernel: custom domains are proven before they serve, and compared normalised

``store_domains`` gains ``verification_token`` and ``verified_at``. The unique constraint on the
raw ``hostname`` becomes two indexes on the normalised name (lower case, no trailing dot): one
store lists a name once, and across stores only one may hold it *verified*, so an unproven claim
never locks the real owner out. Domains already deployed keep serving: every existing row is
marked verified here (they were accepted under the old rules; an operator who doubts one removes
it). A row naming a host under the platform domain is marked too but serves nothing: resolution
reads such hosts by slug only (the migration cannot tell them apart: the platform domain is
configuration, not data).

Revision ID: kernel_0003
Revises: kernel_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'kernel_0003'
down_revision = 'kernel_0002'
branch_labels = None
depends_on = None

NORMALISED = "lower(rtrim(hostname, '.'))"


def upgrade() -> None:
    op.execute(f"UPDATE store_domains SET hostname = {NORMALISED}")
    with op.batch_alter_table('store_domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_store_domains_hostname', type_='unique')
    op.execute("UPDATE store_domains SET verified_at = CURRENT_TIMESTAMP")
    op.create_index('uq_store_domains_store_id_hostname', 'store_domains', ['store_id', sa.text(NORMALISED)],
                    unique=True)
    op.create_index('uq_store_domains_verified_hostname', 'store_domains', [sa.text(NORMALISED)], unique=True,
                    sqlite_where=sa.text('verified_at IS NOT NULL'),
                    postgresql_where=sa.text('verified_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('uq_store_domains_verified_hostname', table_name='store_domains')
    op.drop_index('uq_store_domains_store_id_hostname', table_name='store_domains')
    # Back to one row per name: unverified claims that share a name with another row go.
    op.execute("DELETE FROM store_domains WHERE verified_at IS NULL AND hostname IN "
               "(SELECT hostname FROM store_domains GROUP BY hostname HAVING count(*) > 1)")
    with op.batch_alter_table('store_domains', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_store_domains_hostname', ['hostname'])
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verification_token')
