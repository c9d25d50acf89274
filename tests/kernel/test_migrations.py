"""Migrations bring an empty database to the models exactly, and downgrade back to nothing; the
ones that rewrite data keep a deployed database's rows meaning what they meant."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from kernel import migrate
from kernel.db import sync_url
from kernel.models import load_all_models
from tests.support import databases


def test_upgrade_matches_models_and_downgrade_empties(backend, tmp_path):
    if backend == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'fresh.db'}", None
    else:
        fresh = databases.create_postgres()  # already upgraded; start from base to exercise both directions
        url, cleanup = fresh.owner_url, fresh
        migrate.downgrade(url, "base")
    try:
        migrate.upgrade(url)
        engine = create_engine(sync_url(url))
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True,
                                                                           "include_object": migrate.include_object}),
                                    load_all_models())
        assert diff == [], f"models and migrations disagree: {diff}"
        migrate.downgrade(url, "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        engine.dispose()
    finally:
        if cleanup is not None:
            databases.drop_postgres(cleanup)


@pytest.mark.postgres_only
def test_postgresql_search_entries_move_to_their_stores_lexemes_and_back(backend):
    """catalog_0006 rewrites a deployed database's search entries, so that products indexed before
    it are still found, by their own store only; its downgrade gives the entries back as they were."""
    fresh = databases.create_postgres()
    url = fresh.owner_url
    engine = create_engine(sync_url(url))
    try:
        migrate.downgrade(url, "catalog_0005")
        with engine.begin() as connection:
            for slug in ("first", "second"):
                store = connection.execute(text(
                    "INSERT INTO stores (slug, name, status, currency, locale, timezone, plugins_version, "
                    "created_at, updated_at) VALUES (:slug, :slug, 'active', 'EUR', 'en', 'UTC', 0, now(), now()) "
                    "RETURNING id"), {"slug": slug}).scalar_one()
                product = connection.execute(text(
                    "INSERT INTO products (store_id, name, slug, description, status, tax_class, created_at, "
                    "updated_at) VALUES (:store, 'Linen Shirt', 'linen-shirt', 'Cool.', 'active', 'standard', "
                    "now(), now()) RETURNING id"), {"store": store}).scalar_one()
                connection.execute(text(
                    "INSERT INTO product_search (product_id, store_id, document) "
                    "VALUES (:product, :store, to_tsvector('simple', 'Linen Shirt Cool.'))"),
                    {"product": product, "store": store})
            stores = dict(connection.execute(text("SELECT slug, id FROM stores")).all())
            before = dict(connection.execute(text("SELECT product_id, document::text FROM product_search")).all())
        migrate.upgrade(url)
        with engine.connect() as connection:  # a search, in a transaction of the first store
            connection.execute(text("SELECT set_config('app.store_id', :store, true)"), {"store": str(stores["first"])})
            found = connection.execute(text(
                "SELECT p.store_id FROM pyc_product_search_matches(:store, 'linen & shi:*') AS m (id) "
                "JOIN product_search p ON p.product_id = m.id"), {"store": stores["first"]}).scalars().all()
        assert found == [stores["first"]]
        migrate.downgrade(url, "catalog_0005")
        with engine.connect() as connection:
            after = dict(connection.execute(text("SELECT product_id, document::text FROM product_search")).all())
        assert after == before
    finally:
        engine.dispose()
        databases.drop_postgres(fresh)
