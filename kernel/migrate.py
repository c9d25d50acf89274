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

from kernel.db import PLATFORM_ROLE, sync_url, tenant_rls_sql

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
# PostgreSQL's composite foreign keys keeping references inside their store where the models declare
# a plain one (isolation_0002), and the unique keys they point at.
UNMANAGED_CONSTRAINT_PREFIX = "same_store_"

# Columns of store tables that name another row by id without a foreign key, each for its reason.
# Every other reference between two store tables carries ``store_id`` in its foreign key (a test
# reads the catalog), so a row of one store can never point at a row of another.
PLAIN_ID_COLUMNS: dict[tuple[str, str], str] = {
    ("audit_log", "api_key_id"): "history: the entry outlives the key it names",
    ("audit_log", "target_id"): "history, and of any kind of object (with target_type)",
    ("audit_log", "user_id"): "history: the entry outlives the user (a platform row)",
    ("cart_lines", "variant_id"): "a variant deleted or gone from sale stays on the cart as unavailable; "
                                  "pricing joins variants of the cart's own store only",
    ("order_lines", "variant_id"): "an order's snapshot outlives the variant it sold",
    ("order_lines", "product_id"): "an order's snapshot outlives the product it sold",
    ("outbox_events", "event_id"): "the event's own id, not a reference",
    ("carts", "payment_plugin_id"): "a plugin id, not a row",
    ("carts", "shipping_plugin_id"): "a plugin id, not a row",
    ("orders", "shipping_plugin_id"): "a plugin id, not a row",
    ("payments", "plugin_id"): "a plugin id, not a row",
    ("store_plugins", "plugin_id"): "a plugin id, not a row",
}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object`` hook hiding :data:`UNMANAGED_TABLE_PREFIXES` and friends."""
    if type_ == "table" and name and name.startswith(UNMANAGED_TABLE_PREFIXES):
        return False
    if type_ == "column" and (getattr(obj.table, "name", None), name) in UNMANAGED_COLUMNS:
        return False
    if type_ == "index" and name in UNMANAGED_INDEXES:
        return False
    if type_ in ("foreign_key_constraint", "unique_constraint") and (name or "").startswith(UNMANAGED_CONSTRAINT_PREFIX):
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


def grant_app_role(database_url: str, role: str, platform_role: str | None = None) -> None:
    """Let the application role (and the platform's own login, when there is one) use every table
    and sequence, without owning them (PostgreSQL).

    Owners and superusers bypass row-level security; the app must not be one. The platform login
    is made a member of :data:`kernel.db.PLATFORM_ROLE`, whose policies let it see every store; the
    app role must never be one (refused here, so a slip in configuration cannot open the wall).
    """
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            for grantee in filter(None, (role, platform_role)):
                quoted = _quoted(grantee)
                connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
                connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"))
                connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
            if platform_role and not connection.execute(text("select pg_has_role(:r, :p, 'MEMBER')"),
                                                        {"r": platform_role, "p": PLATFORM_ROLE}).scalar():
                connection.execute(text(f"GRANT {PLATFORM_ROLE} TO {_quoted(platform_role)}"))
            if connection.execute(text("select pg_has_role(:r, :p, 'USAGE')"), {"r": role, "p": PLATFORM_ROLE}).scalar():
                raise RuntimeError(f"role {role} has the privileges of {PLATFORM_ROLE}: the application "
                                   "would see every store; revoke that membership")
    finally:
        engine.dispose()


def _quoted(role: str) -> str:
    return '"' + role.replace('"', '""') + '"'


# Tables with a ``store_id`` column that are deliberately platform-wide: none. Each entry would
# need its reason beside it, and its rows must hold nothing personal (every store's data sits
# behind the standard policies, job payloads and mail included: the platform's own connections
# see across stores by role, so no table has to be open for them).
PLATFORM_WIDE_TABLES: dict[str, str] = {}

_POLICIES = """select c.relname, c.relrowsecurity, c.relforcerowsecurity, not a.attnotnull,
       coalesce(json_agg(json_build_object('name', p.polname, 'cmd', p.polcmd, 'permissive', p.polpermissive,
              'roles', (select coalesce(array_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end
                                                  order by 1), '{}') from unnest(p.polroles) r),
              'using', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid)))
         filter (where p.polname is not null), '[]')
from pg_class c
join pg_attribute a on a.attrelid = c.oid and a.attname = 'store_id' and not a.attisdropped
left join pg_policy p on p.polrelid = c.oid
where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
group by c.relname, c.relrowsecurity, c.relforcerowsecurity, a.attnotnull"""


def _expected_policies(connection) -> dict[bool, list[dict]]:
    """The standard policies as the catalog prints them, by whether ``store_id`` is nullable: made
    on a scratch table inside a savepoint that is rolled back, so the comparison is exact."""
    expected = {}
    for nullable in (False, True):
        savepoint = connection.begin_nested()
        try:
            connection.execute(text(f"CREATE TABLE pyc_policy_probe (store_id int{'' if nullable else ' NOT NULL'})"))
            for statement in tenant_rls_sql("pyc_policy_probe", platform_rows=nullable):
                connection.execute(text(statement))
            expected[nullable] = _by_table(connection.execute(text(_POLICIES)))["pyc_policy_probe"][3]
        finally:
            savepoint.rollback()
    return expected


def _by_table(rows) -> dict:
    return {r[0]: (r[1], r[2], r[3], sorted(r[4], key=lambda p: p["name"])) for r in rows}


def unprotected_tenant_tables(connection) -> dict[str, str]:
    """Every table holding a ``store_id`` column without the standard row-level security, each with
    what is wrong (PostgreSQL; read from the live catalog, so plugins' tables count too)."""
    expected = _expected_policies(connection)
    problems = {}
    for table, (enabled, forced, nullable, policies) in _by_table(connection.execute(text(_POLICIES))).items():
        if table in PLATFORM_WIDE_TABLES:
            continue
        if not (enabled and forced):
            problems[table] = "row-level security is not enabled and forced"
        elif policies != expected[nullable]:
            problems[table] = f"its policies are not the standard ones: {policies}"
    return problems


def check_tenant_tables(database_url: str) -> None:
    """Refuse a database where a table with ``store_id`` is not behind the standard policies
    (``pycommerce migrate`` runs this after upgrading; a no-op off PostgreSQL)."""
    engine = create_engine(sync_url(database_url))
    try:
        if engine.dialect.name != "postgresql":
            return
        with engine.connect() as connection:
            problems = unprotected_tenant_tables(connection)
    finally:
        engine.dispose()
    if problems:
        raise RuntimeError("tables holding store data without the standard row-level security (call "
                           "kernel.db.enable_tenant_rls in their migration): "
                           + "; ".join(f"{t}: {why}" for t, why in sorted(problems.items())))


def role_setup_sql(owner: str, app_role: str, database: str, platform: str = "pycommerce_platform_login") -> str:
    """The psql script an operator runs as a PostgreSQL superuser to create the roles and the database.

    Running it again changes nothing: a role or a database that exists is left as it is (its
    password included), so provisioning may run it on every deploy.
    """
    def create_role(role: str, options: str) -> str:
        return (f"SELECT 'CREATE ROLE {role} {options}'\n"
                f"WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') \\gexec\n")

    return (f"""-- Run as a PostgreSQL superuser with psql; running it again changes nothing.
-- {owner} owns the tables and runs migrations; {app_role} is the application and owns nothing, so RLS
-- applies; {platform} is for workers, the CLI and platform administration: as a member of
-- {PLATFORM_ROLE} it sees every store's rows (never grant {PLATFORM_ROLE} to {app_role}).
"""
            + create_role(owner, "LOGIN PASSWORD ''change-me-owner''")
            + create_role(app_role, "LOGIN PASSWORD ''change-me-app''")
            + create_role(platform, "LOGIN PASSWORD ''change-me-platform''")
            + create_role(PLATFORM_ROLE, "NOLOGIN")
            + f"""GRANT {PLATFORM_ROLE} TO {owner}, {platform};
SELECT 'CREATE DATABASE {database} OWNER {owner}'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}') \\gexec
"""
            + f"""\\c {database}
ALTER SCHEMA public OWNER TO {owner};
-- Then: PYCOMMERCE_MIGRATION_DATABASE_URL=postgresql://{owner}:…@host/{database}
--       PYCOMMERCE_DATABASE_URL=postgresql://{app_role}:…@host/{database}
--       PYCOMMERCE_PLATFORM_DATABASE_URL=postgresql://{platform}:…@host/{database}
--       PYCOMMERCE_DB_APP_ROLE={app_role} PYCOMMERCE_DB_PLATFORM_ROLE={platform} pycommerce migrate
--       (migrates, checks every table holding store data, then grants both roles access)
""")
