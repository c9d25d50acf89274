"""accounts: the sign-in epoch, bumped by triggers on every change that can take rights away

Each process caches staff sign-ins (``kernel.accounts.signins``) and checks, on every request,
that ``auth_epoch.value`` has not moved since an entry was read. The triggers below move it in the
same transaction as the change, so the new value and the change become visible together:

* ``auth_sessions``: a session ended (DELETE), or changed in what it grants;
* ``users``: deactivated, platform admin granted or taken, deleted;
* ``staff_memberships`` and ``store_security_settings``: any change;
* ``totp_credentials``: created, confirmed or removed (a store may require two-factor).

Signing in (a new session, ``last_login_at``) and using a TOTP code change none of these columns,
so the busy paths never touch the counter.

Revision ID: accounts_0002
Revises: accounts_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'accounts_0002'
down_revision = 'accounts_0001'
branch_labels = None
depends_on = None

# (table, the events that can take rights away)
WATCHED = [
    ("auth_sessions", "UPDATE OF user_id, customer_id, token_digest, expires_at", "DELETE"),
    ("users", "UPDATE OF is_active, is_platform_admin", "DELETE"),
    ("staff_memberships", "INSERT", "UPDATE", "DELETE"),
    ("store_security_settings", "INSERT", "UPDATE", "DELETE"),
    ("totp_credentials", "INSERT", "UPDATE OF confirmed_at", "DELETE"),
]

BUMP = "UPDATE auth_epoch SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table('auth_epoch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_epoch'))
    )
    op.execute("INSERT INTO auth_epoch (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION pyc_bump_auth_epoch() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table, *events in WATCHED:
            # TRUNCATE fires no DELETE trigger: an operator emptying a table is a change too.
            op.execute(f"CREATE TRIGGER {table}_auth_epoch AFTER {' OR '.join([*events, 'TRUNCATE'])} ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION pyc_bump_auth_epoch()")
    else:  # SQLite: row triggers only, one per event
        for table, *events in WATCHED:
            for number, event in enumerate(events):
                op.execute(f"CREATE TRIGGER {table}_auth_epoch_{number} AFTER {event} ON {table} "
                           f"BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, *_ in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_auth_epoch ON {table}")
        op.execute("DROP FUNCTION IF EXISTS pyc_bump_auth_epoch()")
    else:
        for table, *events in WATCHED:
            for number, _ in enumerate(events):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_auth_epoch_{number}")
    op.drop_table('auth_epoch')
