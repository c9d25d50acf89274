"""catalog: each product keeps its images' listed JSON array, written by the database (PostgreSQL)

A page of products joined each product's images in a correlated subquery: an index scan, a sort
and an aggregate for every product listed, a large share of the page's PostgreSQL time
(docs/decisions/listing-json.md), for rows that change only when staff upload, edit or delete an
image. So ``products.images_json`` keeps the product's images as the API lists them, a JSON
array in position order of their ``listed_json`` texts (catalog_0003: U+0001 where the media
store's URL prefix goes), rewritten by an ``AFTER`` trigger on ``product_images`` in the same
statement as any change to them. A page reads one column and puts the prefix in (``replace``).

SQLite builds its pages in Python and gets none of this; the column is not in the models
(``kernel.migrate.UNMANAGED_COLUMNS``).

Revision ID: catalog_0004
Revises: catalog_0003
"""
from alembic import op

revision = 'catalog_0004'
down_revision = 'catalog_0003'
branch_labels = None
depends_on = None

# The images of the product ``p`` as listed: a JSON array text, '[]' when it has none.
IMAGES_OF_P = ("'[' || coalesce((SELECT string_agg(i.listed_json, ',' ORDER BY i.position, i.id) "
               "FROM product_images i WHERE i.product_id = p.id AND i.store_id = p.store_id), '') || ']'")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SELECT set_config('app.all_stores', 'on', true)")  # every store's rows, behind forced RLS
    op.execute("ALTER TABLE products ADD COLUMN images_json text NOT NULL DEFAULT '[]'")
    # Row by row: an image written, moved, re-ordered or deleted rewrites its product's array (and
    # the product it left, when its product_id changed). Under a cascade from the product's own
    # deletion the product row is already gone and nothing is written.
    op.execute("CREATE FUNCTION pyc_product_images_to_product() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               f"UPDATE products p SET images_json = {IMAGES_OF_P} "
               "WHERE p.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.product_id END, "
               "               CASE WHEN TG_OP <> 'DELETE' THEN NEW.product_id END); "
               "RETURN NULL; END $$")
    op.execute("CREATE TRIGGER product_images_to_product AFTER INSERT OR UPDATE OR DELETE ON product_images "
               "FOR EACH ROW EXECUTE FUNCTION pyc_product_images_to_product()")
    op.execute(f"UPDATE products p SET images_json = {IMAGES_OF_P} "
               "WHERE EXISTS (SELECT 1 FROM product_images i WHERE i.product_id = p.id)")
    op.execute("SELECT set_config('app.all_stores', '', true)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS product_images_to_product ON product_images")
    op.execute("DROP FUNCTION IF EXISTS pyc_product_images_to_product()")
    op.execute("ALTER TABLE products DROP COLUMN IF EXISTS images_json")
