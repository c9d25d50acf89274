"""Alembic configured in code: the kernel's revisions plus one branch per installed plugin.

Kernel domains and plugins each own a branch of revisions (branch label =
domain or plugin id). ``version_locations`` must be known before any command
runs (setting it inside env.py is silently ignored), so it is built here from
the kernel's folder and every installed plugin package that ships a
``migrations/`` folder. Always ``upgrade heads``, never ``head``.
"""

from __future__ import annotations

import importlib.util
from importlib.metadata import entry_points
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text

from kernel.db import sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
PLUGIN_GROUP = "pycommerce.plugins"


def plugin_migration_dirs() -> list[str]:
    """The ``migrations/`` folder beside each installed plugin module, when it has one."""
    dirs: list[str] = []
    for ep in entry_points(group=PLUGIN_GROUP):
        module = ep.value.split(":", 1)[0]
        package = module.rsplit(".", 1)[0] if "." in module else module
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "migrations"
            if candidate.is_dir() and str(candidate) not in dirs:
                dirs.append(str(candidate))
    return dirs


# Dialect-specific objects that migrations build by hand and the models do not describe (full-text
# search: SQLite's FTS5 table with its shadow tables, PostgreSQL's tsvector table and GIN index;
# PostgreSQL's listed JSON of each catalog row, written by triggers: catalog_0003).
# Autogenerate and the models-versus-migrations test must not see them, or they would propose dropping them.
UNMANAGED_TABLE_PREFIXES = ("product_search",)
UNMANAGED_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {(table, "listed_json") for table in ("products", "product_variants", "product_images")}
    | {("products", "images_json")})
UNMANAGED_INDEXES: frozenset[str] = frozenset()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object`` hook hiding :data:`UNMANAGED_TABLE_PREFIXES` and friends."""
    if type_ == "table" and name and name.startswith(UNMANAGED_TABLE_PREFIXES):
        return False
    if type_ == "column" and (getattr(obj.table, "name", None), name) in UNMANAGED_COLUMNS:
        return False
    if type_ == "index" and name in UNMANAGED_INDEXES:
        return False
    return True


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "newline")
    cfg.set_main_option("version_locations", "\n".join([str(MIGRATIONS_DIR / "versions"), *plugin_migration_dirs()]))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def table_names(database_url: str) -> set[str]:
    """The tables the database holds now (Alembic's own ``alembic_version`` left out)."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def upgrade_summary(database_url: str, before: set[str], after: set[str]) -> str:
    """What ``pycommerce migrate`` tells the operator: where the database is, which tables it made."""
    where = make_url(sync_url(database_url)).render_as_string(hide_password=True)
    created = sorted(after - before)
    if not created:
        return f"Database {where} is up to date."
    made = "Created" if not before else "Added"
    return f"{made} {len(created)} tables in {where}: {', '.join(created)}.\nDatabase is up to date."


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def script_heads(database_url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def database_heads(database_url: str) -> set[str]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def pending_heads(database_url: str, migration_url: str | None = None) -> set[str]:
    """Script heads not yet applied to the database (empty when it is fully migrated).

    A head can be applied without being stored in ``alembic_version`` when another
    branch depends on it, so compare against everything the stored heads imply.
    """
    script = ScriptDirectory.from_config(alembic_config(migration_url or database_url))
    current = database_heads(database_url)
    applied = {rev.revision for rev in script.revision_map.iterate_revisions(tuple(current), "base")} if current \
        else set()
    return set(script.get_heads()) - applied


def grant_app_role(database_url: str, role: str) -> None:
    """Let the application role use every table and sequence, without owning them (PostgreSQL).

    Owners and superusers bypass row-level security; the app must not be one.
    """
    engine = create_engine(sync_url(database_url))
    quoted = '"' + role.replace('"', '""') + '"'
    try:
        with engine.begin() as connection:
            connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
            connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"))
            connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    finally:
        engine.dispose()


def role_setup_sql(owner: str, app_role: str, database: str) -> str:
    """The psql script an operator runs as a PostgreSQL superuser to create the two roles and the database.

    Running it again changes nothing: a role or a database that exists is left as it is (its
    password included), so provisioning may run it on every deploy.
    """
    return f"""-- Run as a PostgreSQL superuser with psql; running it again changes nothing.
-- {owner} owns the tables and runs migrations; {app_role} is the application and owns nothing, so RLS applies.
SELECT 'CREATE ROLE {owner} LOGIN PASSWORD ''change-me-owner'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') \\gexec
SELECT 'CREATE ROLE {app_role} LOGIN PASSWORD ''change-me-app'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app_role}') \\gexec
SELECT 'CREATE DATABASE {database} OWNER {owner}'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}') \\gexec
\\c {database}
ALTER SCHEMA public OWNER TO {owner};
-- Then: PYCOMMERCE_MIGRATION_DATABASE_URL=postgresql://{owner}:…@host/{database}
--       PYCOMMERCE_DATABASE_URL=postgresql://{app_role}:…@host/{database}
--       PYCOMMERCE_DB_APP_ROLE={app_role} pycommerce migrate   (migrates, then grants {app_role} access)
"""
