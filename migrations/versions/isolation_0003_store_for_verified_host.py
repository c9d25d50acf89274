"""isolation: the store of a host is the one that verified it, compared as stored names are

``pyc_store_for_host`` (isolation_0001) is the one crossing a request makes to find the store
answering on a custom domain. Since kernel_0003 a custom domain serves only once its store has
proven it controls the name, and names are compared normalised (lower case, no trailing dot), with
a unique index on the verified ones: the function now asks exactly that, so it answers through that
index and never names a store whose claim is unproven.

Revision ID: isolation_0003
Revises: isolation_0002
"""
from alembic import op

from kernel.stores.models import NORMALISED_HOSTNAME_SQL

revision = 'isolation_0003'
down_revision = 'isolation_0002'
branch_labels = None
depends_on = 'kernel_0003'

_DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"


def _store_for_host(condition: str) -> str:
    return ("CREATE OR REPLACE FUNCTION pyc_store_for_host(host text) RETURNS integer LANGUAGE sql STABLE "
            f"{_DEFINER} AS $$ SELECT store_id FROM store_domains WHERE {condition} $$")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_store_for_host(f"{NORMALISED_HOSTNAME_SQL} = host AND verified_at IS NOT NULL"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_store_for_host("hostname = host"))
