"""catalog: each product, variant and image keeps its listed JSON, written by the database (PostgreSQL)

A page of twenty products lists about sixty variants and forty images. Writing those rows as JSON
on every read was most of what a page cost PostgreSQL (docs/decisions/listing-json.md), for rows
that change far less often than they are read.
So each row keeps ``listed_json``, the JSON the API lists it as, rewritten by a ``BEFORE INSERT OR
UPDATE`` trigger in the same statement as any change to a listed column (ORM flushes, CSV imports and
COPY alike). A page only joins the stored texts (``kernel.catalog.queries``).

What cannot be stored, or changes too often to be worth storing, is left open and filled in on
the way out:

* ``products.listed_json`` is the product's own fields without the closing brace: the page
  appends its ``variants`` and ``images``;
* ``product_variants.listed_json`` is the variant without ``stock_on_hand`` and ``available`` and
  without the closing brace. ``available`` depends on the unexpired reservations at the time of
  the read; ``stock_on_hand`` changes with every sale, and its trigger fires only on an UPDATE of
  a column it stores, so placing an order (whose stock UPDATE sets ``stock_on_hand`` alone) does
  not rewrite the variant's text;
* ``product_images.listed_json`` holds a raw U+0001 where the media store's URL prefix goes,
  before ``url`` and ``thumbnail_url``. PostgreSQL writes every control character inside a string
  as an escape (``\\u0001``), so the only raw U+0001 in the text are the two placed here.

The JSON has the API's field names and order, and is written as pydantic writes it (times in UTC
with a "Z" and no fraction for a whole second); ``tests/kernel/catalog/test_listing_and_search.py``
compares every listed field with the model's output. A change to what a listed row shows is a new
migration that replaces these functions and rewrites the rows (``UPDATE … SET listed_json = NULL``
fires the trigger).

SQLite builds its pages in Python and gets none of this. The columns are not in the models:
``kernel.migrate.UNMANAGED_COLUMNS`` keeps them out of autogenerate and the schema test.

Revision ID: catalog_0003
Revises: catalog_0002
"""
from alembic import op

revision = 'catalog_0003'
down_revision = 'catalog_0002'
branch_labels = None
depends_on = None

UTC_ISO = """replace(to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""

# table → the row as listed, a SQL expression over NEW
LISTED = {
    "products": (
        "left(row_to_json(listed)::text, -1) FROM (SELECT NEW.id AS id, NEW.name AS name, NEW.slug AS slug, "
        "NEW.status AS status, NEW.price_min AS price_min, NEW.price_max AS price_max, "
        f"{UTC_ISO} AS created_at) listed"),
    "product_variants": (
        "left(row_to_json(listed)::text, -1) FROM (SELECT NEW.id AS id, NEW.product_id AS product_id, "
        "NEW.sku AS sku, NEW.title AS title, NEW.position AS position, NEW.price AS price, "
        "NEW.compare_at_price AS compare_at_price, NEW.cost AS cost, NEW.weight_grams AS weight_grams, "
        "NEW.barcode AS barcode, NEW.track_inventory AS track_inventory, NEW.allow_backorder AS allow_backorder, "
        "NEW.low_stock_threshold AS low_stock_threshold, "
        "array_remove(ARRAY[NEW.option1, NEW.option2, NEW.option3], NULL) AS options) listed"),
    "product_images": (
        # '"url":"' can only be the key: inside a string value every '"' is written '\"'.
        "replace(replace(row_to_json(listed)::text, '\"url\":\"', '\"url\":\"' || chr(1)), "
        "'\"thumbnail_url\":\"', '\"thumbnail_url\":\"' || chr(1)) "
        "FROM (SELECT NEW.id AS id, NEW.product_id AS product_id, NEW.position AS position, NEW.alt AS alt, "
        "NEW.storage_key AS url, NEW.thumbnail_key AS thumbnail_url, NEW.content_type AS content_type, "
        "NEW.width AS width, NEW.height AS height, NEW.size_bytes AS size_bytes) listed"),
}


# table → the columns whose UPDATE rewrites the row's text; any UPDATE of the other tables does. A
# variant's stock is not among them: it changes with every sale and is read from its column.
# ``listed_json`` itself is, so that ``SET listed_json = NULL`` rewrites a row.
WATCHED = {"product_variants": ("listed_json", "product_id", "sku", "title", "position", "price", "compare_at_price",
                                "cost", "weight_grams", "barcode", "track_inventory", "allow_backorder",
                                "low_stock_threshold", "option1", "option2", "option3")}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The rows of every store are rewritten below, behind forced row-level security.
    op.execute("SELECT set_config('app.all_stores', 'on', true)")
    for table, listed in LISTED.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN listed_json text")
        op.execute(f"CREATE FUNCTION pyc_{table}_listed_json() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN NEW.listed_json := (SELECT {listed}); RETURN NEW; END $$")
        update = f"UPDATE OF {', '.join(WATCHED[table])}" if table in WATCHED else "UPDATE"
        op.execute(f"CREATE TRIGGER {table}_listed_json BEFORE INSERT OR {update} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION pyc_{table}_listed_json()")
        op.execute(f"UPDATE {table} SET listed_json = NULL")  # the trigger writes each row's
        op.execute(f"ALTER TABLE {table} ALTER COLUMN listed_json SET NOT NULL")
    op.execute("SELECT set_config('app.all_stores', '', true)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in LISTED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_listed_json ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS pyc_{table}_listed_json()")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS listed_json")
