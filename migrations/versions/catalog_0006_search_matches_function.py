"""catalog: PostgreSQL's search index keeps each store's words apart; a function keeps one plan

**Each store's words.** ``product_search`` (catalog_0002) is one GIN index for every store. A
search looked up its words among every store's products and dropped the other stores' matches
afterwards, row by row from the table: its cost grew with the whole platform's catalog, not
with the store's (``bench/search_stores.py`` times the matching as the stores grow). Now
every lexeme of an entry carries its store's id (``7_linen`` for store 7's "linen", positions and
weights kept): ``pyc_store_lexemes`` writes them so, ``pyc_store_tsquery`` asks for them so, and
a search's index scan sees its own store's entries only, whatever the number of stores.
Words never hold ``_`` (``kernel.catalog.search.terms``), so no search can name another store's
lexemes; the function still filters on ``store_id`` too.

**One plan.** A search's words are bound parameters of its page statement. Executed as a
prepared statement, PostgreSQL plans the first five executions for their own words and then
compares: a plan for particular words always looks cheaper than the generic one, though every plan
has the same shape (the full-text index, then the products by key, then the top of the sort), so
it went on planning every search anew, which cost more than running it. Setting
``plan_cache_mode`` to ``force_generic_plan`` for the transaction would take a statement of its
own, one round trip more a search. ``pyc_product_search_matches(for_store, words)`` returns the ids of the
store's products matching ``words`` (``to_tsquery`` text: ``kernel.catalog.search.query_expression``)
and carries ``plan_cache_mode = force_generic_plan`` itself, so PL/pgSQL keeps one plan of its query
for the connection's life; and since the page statement's words only pass through to it, nothing
in that statement's costs depends on them, and PostgreSQL keeps its generic plan too.

The functions run as their caller (SECURITY INVOKER): ``product_search`` holds no more than ids
and lexemes, and the page statement joins the ids back to ``products``, which row-level security
guards. SQLite's FTS5 index (catalog_0002) is unchanged: the embedded database serves one
deployment's few stores.

Revision ID: catalog_0006
Revises: catalog_0005
"""
from alembic import op

revision = 'catalog_0006'
down_revision = 'catalog_0005'
branch_labels = None
depends_on = None

# A tsvector's and a tsquery's text quote every lexeme: the store's id goes after each opening
# quote (a lexeme's own quotes are doubled, so never follow a space, a parenthesis or "!").
STORE_LEXEMES = ("CREATE FUNCTION pyc_store_lexemes(store integer, document tsvector) RETURNS tsvector "
                 "LANGUAGE sql IMMUTABLE AS "
                 "$$ SELECT regexp_replace(document::text, '(^| )''', '\\1''' || store || '_', 'g')::tsvector $$")
STORE_TSQUERY = ("CREATE FUNCTION pyc_store_tsquery(store integer, query tsquery) RETURNS tsquery "
                 "LANGUAGE sql IMMUTABLE AS "
                 "$$ SELECT regexp_replace(query::text, '(^|[ (!])''', '\\1''' || store || '_', 'g')::tsquery $$")
MATCHES = ("CREATE FUNCTION pyc_product_search_matches(for_store integer, words text) RETURNS SETOF integer "
           "LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS "
           "$$ BEGIN RETURN QUERY SELECT product_id FROM product_search WHERE store_id = for_store "
           "AND document @@ pyc_store_tsquery(for_store, to_tsquery('simple', words)); END $$")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(STORE_LEXEMES)
        op.execute(STORE_TSQUERY)
        op.execute(MATCHES)
        op.execute("UPDATE product_search SET document = pyc_store_lexemes(store_id, document)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE product_search SET document = "
                   "regexp_replace(document::text, '(^| )''[0-9]+_', '\\1''', 'g')::tsvector")
        op.execute("DROP FUNCTION IF EXISTS pyc_product_search_matches(integer, text)")
        op.execute("DROP FUNCTION IF EXISTS pyc_store_tsquery(integer, tsquery)")
        op.execute("DROP FUNCTION IF EXISTS pyc_store_lexemes(integer, tsvector)")
