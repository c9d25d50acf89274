"""Migrations bring an empty database to the models exactly, and downgrade back to nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

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
