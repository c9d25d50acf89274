"""isolation: every table holding a store's rows behind row-level security; crossing stores is a role

**Every table.** The policies are applied to every table of the schema that has a ``store_id``
column, read from the catalog rather than from a list, so a table a migration forgot is covered
here too (``store_domains``, ``auth_sessions``, ``jobs``, ``product_search`` and ``mail_messages``
had none). ``pycommerce migrate`` then checks the same catalog and refuses a database where a
table with ``store_id`` lacks the standard policies (``kernel.migrate.check_tenant_tables``), so a
later migration that forgets ``enable_tenant_rls`` fails at once. A nullable ``store_id`` marks
rows of no store as the platform's (staff sign-in sessions, platform jobs and mail): the app reads
those whatever store it serves, never another store's.

**Crossing stores is a role, not a setting.** The policies used to let any transaction through
that set ``app.all_stores = 'on'``, a setting the application's role could set itself, so one
injected statement read every store. Now ``store_isolation`` compares ``store_id`` with the
transaction's store only, and a second policy, ``platform_access``, lets the members of the
NOLOGIN role ``pycommerce_platform`` see every row: the platform's own login (workers, the CLI,
platform administration) and the table owner are members, the application's role never is.

**Fixed-purpose crossings inside a request.** A request must do a few reads before it knows its
store, in its own transaction: these are ``SECURITY DEFINER`` functions owned by the migrating role
(a member of ``pycommerce_platform``), each answering one question and each needing what the caller
already holds: the store answering on a host name (public by nature), the API key of a token
digest (and marking it used), the stores of a sign-in session's user (by the session's digest).

**The search side table.** ``product_search`` gets the standard policy, and a search no longer
reads it under that policy: full-text matching (``@@``) is not LEAKPROOF, so PostgreSQL must apply
a policy's condition before it, and the GIN index went unused (a two-word search's matching went
from 0.3 ms to 20 ms, a scan of every store's entries). ``pyc_product_search_matches`` (catalog_0006)
becomes ``SECURITY DEFINER``: run as the owner, whom the policies let through, it matches by the
index among the entries of the store it is given, and only when that is the transaction's own
store, the policy's own rule applied once instead of row by row. It returns product ids, which
the page statement joins back to ``products`` under that table's policy.

Revision ID: isolation_0001
Revises:
"""
from alembic import op
from sqlalchemy import text

from kernel.db import platform_role_sql, store_id_is_nullable, tenant_rls_sql

revision = 'isolation_0001'
down_revision = None
branch_labels = ('isolation',)
depends_on = ['accounts_0002', 'catalog_0006', 'events_0001', 'jobs_0001', 'kernel_0002', 'orders_0002',
              'plugins_0001']

# Tables that had no row-level security before this revision (the downgrade lifts it again).
NEWLY_COVERED = ("store_domains", "auth_sessions", "jobs", "product_search", "mail_messages")
LEGACY_CONDITION = ("store_id = NULLIF(current_setting('app.store_id', true), '')::int"
                    " OR current_setting('app.all_stores', true) = 'on'")

_DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"
FUNCTIONS = {
    "pyc_store_for_host(text)":
        "CREATE FUNCTION pyc_store_for_host(host text) RETURNS integer LANGUAGE sql STABLE " + _DEFINER +
        " AS $$ SELECT store_id FROM store_domains WHERE hostname = host $$",
    "pyc_api_key_for_digest(text)":
        "CREATE FUNCTION pyc_api_key_for_digest(digest text) RETURNS SETOF api_keys LANGUAGE sql STABLE ROWS 1 "
        + _DEFINER + " AS $$ SELECT * FROM api_keys WHERE token_digest = digest $$",
    "pyc_api_key_used(text, timestamptz)":
        "CREATE FUNCTION pyc_api_key_used(digest text, at timestamptz) RETURNS void LANGUAGE sql " + _DEFINER +
        " AS $$ UPDATE api_keys SET last_used_at = at WHERE token_digest = digest AND revoked_at IS NULL $$",
    "pyc_stores_of_session(text, timestamptz)":
        "CREATE FUNCTION pyc_stores_of_session(digest text, at timestamptz) "
        "RETURNS TABLE (slug text, name text, role text) LANGUAGE sql STABLE " + _DEFINER +
        " AS $$ SELECT s.slug, s.name, m.role FROM auth_sessions a"
        " JOIN staff_memberships m ON m.user_id = a.user_id JOIN stores s ON s.id = m.store_id"
        " WHERE a.token_digest = digest AND a.expires_at > at ORDER BY s.slug $$",
}


# The search's matching (catalog_0006), run as the owner: see the module's docstring.
SEARCH_MATCHES = ("CREATE OR REPLACE FUNCTION pyc_product_search_matches(for_store integer, words text) "
                  "RETURNS SETOF integer LANGUAGE plpgsql STABLE ROWS 100 " + _DEFINER +
                  " SET plan_cache_mode = force_generic_plan AS "
                  "$$ BEGIN RETURN QUERY SELECT product_id FROM product_search WHERE store_id = for_store "
                  "AND for_store = NULLIF(current_setting('app.store_id', true), '')::int "
                  "AND document @@ pyc_store_tsquery(for_store, to_tsquery('simple', words)); END $$")


def _store_tables(bind) -> list[str]:
    return list(bind.execute(text(
        "select c.relname from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'store_id'"
        " and not a.attisdropped where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')"
        " order by 1")).scalars())


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(platform_role_sql())
    for table in _store_tables(bind):
        for statement in tenant_rls_sql(table, platform_rows=store_id_is_nullable(bind, table)):
            op.execute(statement)
    for create in FUNCTIONS.values():
        op.execute(create)
    op.execute(SEARCH_MATCHES)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    # As catalog_0006 made it, the caller's (its extra condition is the policy's rule, harmless).
    op.execute("ALTER FUNCTION pyc_product_search_matches(integer, text) SECURITY INVOKER RESET search_path")
    for table in _store_tables(bind):
        op.execute(f'DROP POLICY IF EXISTS platform_access ON "{table}"')
        op.execute(f'DROP POLICY IF EXISTS store_isolation ON "{table}"')
        if table in NEWLY_COVERED:
            op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
        else:
            op.execute(f'CREATE POLICY store_isolation ON "{table}" USING ({LEGACY_CONDITION})'
                       f' WITH CHECK ({LEGACY_CONDITION})')
