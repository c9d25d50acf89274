"""catalog: PostgreSQL finds a search's products in a function that keeps one plan

A search's words are bound parameters of its page statement. Executed as a prepared statement,
PostgreSQL plans the first five executions for their own words and then compares: a plan for
particular words always looks cheaper than the generic one, though every plan has the same shape
(the full-text index, then the products by key, then the top of the sort), so it went on planning
every search anew, about a millisecond of its CPU, more than running it. Until now each search
first set ``plan_cache_mode`` to ``force_generic_plan`` for its transaction: a statement of its
own, which cost the app's worker half a millisecond of Python a search (``bench/README.md``,
session 15).

``pyc_product_search_matches(for_store, words)`` returns the ids of the store's products whose
search entry matches the ``tsquery`` text ``words`` (``kernel.catalog.search.query_expression``).
It carries ``plan_cache_mode = force_generic_plan`` itself, so PL/pgSQL keeps one plan of its
query for the connection's life; and since the page statement's words now only pass through to
it, nothing in that statement's costs depends on them, and PostgreSQL keeps its generic plan too.

It runs as its caller (SECURITY INVOKER): ``product_search`` holds no rows' contents beyond ids
and lexemes (catalog_0002), and the page statement joins the ids back to ``products``, which
row-level security still guards. SQLite has nothing to plan this way and gets nothing here.

Revision ID: catalog_0006
Revises: catalog_0005
"""
from alembic import op

revision = 'catalog_0006'
down_revision = 'catalog_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION pyc_product_search_matches(for_store integer, words text) RETURNS SETOF integer "
                   "LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS "
                   "$$ BEGIN RETURN QUERY SELECT product_id FROM product_search "
                   "WHERE store_id = for_store AND document @@ to_tsquery('simple', words); END $$")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pyc_product_search_matches(integer, text)")
