"""``pycommerce plugin new NAME``: an installable plugin package whose own tests pass straight away.

The distribution name (what ``pip`` installs), the module (what Python imports) and the plugin
id (the entry-point name: URLs, settings, database rows) are three names; each defaults from
NAME and each may be given on its own.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "A PyCommerce plugin."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["pycommerce"]

[project.optional-dependencies]
test = ["pytest>=8", "pytest-asyncio>=1.0"]

# The entry-point name is the plugin id: it names the plugin in URLs, settings and the database.
[project.entry-points."pycommerce.plugins"]
$id = "$pkg.plugin"

[tool.setuptools.packages.find]
include = ["$pkg*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "session"
asyncio_default_test_loop_scope = "session"
"""

README = """\
# $dist

A PyCommerce plugin (id `$id`).

    pip install -e ".[test]"     # the kernel discovers the plugin through its entry point
    pytest                       # runs against a throwaway SQLite database
$migrate_note
Enable it for a store with `PUT /api/v1/stores/{store_slug}/plugins/$id`.
See PyCommerce's docs/plugins.md for every hook.
"""

INIT = '"""$dist: a PyCommerce plugin."""\n'

SETTINGS = '''\
"""Settings: validated on save, secrets encrypted at rest and never shown back.

Each field may be set per store, or for the whole platform (the platform API, or the
environment: PYCOMMERCE_PLUGIN_${ID_UPPER}_RATE=450); the store's own value wins.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from plugin_sdk import PluginSettings, Secret


class Settings(PluginSettings):
    # Version 1 called the rate "price": stores that saved it then are migrated on read.
    settings_version: ClassVar[int] = 2

    label: str = Field(default="$title delivery", min_length=1, max_length=100)
    rate: int = Field(default=500, ge=0, description="Minor units, in the store's currency.")
    api_key: Secret | None = None

    @classmethod
    def migrate_settings(cls, values: dict[str, Any], from_version: int) -> dict[str, Any]:
        if from_version < 2 and "price" in values:
            values = {**values, "rate": values["price"]}
            del values["price"]
        return values
'''

PLUGIN = '''\
"""Hook implementations: thin, each a few lines (move real work into a service module)."""

from __future__ import annotations

import logging

from plugin_sdk import PluginInfo, ShippingRate, hookimpl
from plugin_sdk.events import OrderPlaced

from $pkg.settings import Settings

PLUGIN_ID = "$id"
log = logging.getLogger(__name__)  # reaches the platform's JSON log with the plugin id and the store

pyc_plugin_info = PluginInfo(description="$title: a flat shipping rate.", category="shipping",
                             kernel=">=0.1")

# Orders this plugin saw placed: (store slug, order number, the store's label). A real plugin
# would write a row of its own through context.session, or context.enqueue a job.
placed: list[tuple[str, str, str]] = []


@hookimpl
def pyc_plugin_settings():
    return Settings


@hookimpl
def pyc_shipping_rates(cart, settings):
    return [ShippingRate(code="standard", name=settings.label, amount=settings.rate, currency=cart.currency,
                         plugin_id=PLUGIN_ID)]


@hookimpl
async def pyc_on_event(event, context):
    if isinstance(event.data, OrderPlaced):
        placed.append((context.store.slug, event.data.number, context.settings.label))
        context.log.info("order %s placed", event.data.number)
'''

MODELS = '''\
"""Plugin tables: TenantModel adds store_id and the kernel's isolation (row-level security via the migration)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin_sdk.db import Base, TenantMixin


class $model(TenantMixin, Base):
    __tablename__ = "${id}_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
'''

MIGRATION = '''\
"""$id: notes

Revision ID: ${id}_0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

from plugin_sdk.db import disable_tenant_rls, enable_tenant_rls

revision = "${id}_0001"
down_revision = None
branch_labels = ("$id",)
depends_on = "kernel_0001"


def upgrade() -> None:
    op.create_table(
        "${id}_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_${id}_notes_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_${id}_notes")),
    )
    op.create_index(op.f("ix_${id}_notes_store_id"), "${id}_notes", ["store_id"], unique=False)
    enable_tenant_rls("${id}_notes")


def downgrade() -> None:
    disable_tenant_rls("${id}_notes")
    op.drop_index(op.f("ix_${id}_notes_store_id"), table_name="${id}_notes")
    op.drop_table("${id}_notes")
'''

CONFTEST = '''\
import pytest

pytest_plugins = ["plugin_sdk.testing"]


@pytest.fixture(scope="session")
def pyc_plugin_id():
    return "$id"
'''

TEST = '''\
"""The plugin's behaviour, through the kernel exactly as a store would see it."""

from plugin_sdk.events import OrderPlaced
from plugin_sdk.types import CartView

from $pkg import plugin


def cart():
    return CartView(currency="USD", lines=[], subtotal=0)


async def test_offers_its_rate_where_enabled(pyc_make_store, pyc_hooks):
    store = await pyc_make_store(settings={"label": "Hello post", "rate": 250})
    results = await (await pyc_hooks(store)).shipping_rates(cart=cart())
    assert [(plugin_id, [(r.name, r.amount) for r in rates]) for plugin_id, rates in results] == [
        ("$id", [("Hello post", 250)])]


async def test_silent_where_not_enabled(pyc_make_store, pyc_hooks):
    store = await pyc_make_store(enabled=False)
    assert await (await pyc_hooks(store)).shipping_rates(cart=cart()) == []


async def test_secret_setting_is_masked(pyc_client, pyc_store, pyc_owner):
    headers = await pyc_owner(pyc_store)
    url = f"/api/v1/stores/{pyc_store.slug}/plugins/$id"
    response = await pyc_client.put(url, json={"settings": {"api_key": "sk-test-1234567890"}}, headers=headers)
    assert response.status_code == 200, response.text
    assert "sk-test-1234567890" not in response.text


async def test_order_placed_reaches_the_handler_with_its_context(pyc_make_store, pyc_deliver_event):
    store = await pyc_make_store(settings={"label": "Hello post"})
    await pyc_deliver_event(store, OrderPlaced.example().model_copy(update={"number": "1001"}))
    assert (store.slug, "1001", "Hello post") in plugin.placed


async def test_settings_saved_under_version_1_are_migrated(pyc_make_store, pyc_store_settings, pyc_hooks):
    store = await pyc_make_store()
    await pyc_store_settings(store, {"label": "Old post", "price": 275}, version=1)
    [(_, [rate])] = await (await pyc_hooks(store)).shipping_rates(cart=cart())
    assert (rate.name, rate.amount) == ("Old post", 275)
'''

TEST_MODELS = '''\
"""The plugin's own table: migrated with its branch, scoped to the store."""

from sqlalchemy import select

from $pkg.models import $model


async def test_notes_belong_to_their_store(pyc_make_store, pyc_session):
    a, b = await pyc_make_store(), await pyc_make_store()
    async with pyc_session(a) as session:
        session.add($model(text="only in A"))
    async with pyc_session(b) as session:
        assert (await session.execute(select($model))).scalars().all() == []
    async with pyc_session(a) as session:
        assert [n.text for n in (await session.execute(select($model))).scalars()] == ["only in A"]
'''


_RESERVED = {"kernel", "plugin_sdk", "plugins_builtin", "migrations", "tests"}


def plugin_names(name: str, *, distribution: str | None = None, module: str | None = None,
                 plugin_id: str | None = None) -> dict[str, str]:
    """The three names, each derived from NAME unless given: distribution ``acme-hello``, module and
    plugin id ``acme_hello``."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,60}", name):
        raise ValueError("NAME must start with a letter and hold only letters, digits, '-' and '_'")
    derived = re.sub(r"[-]+", "_", name).lower()
    pkg, pid = module or derived, plugin_id or derived
    dist = distribution or derived.replace("_", "-")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,60}", pkg) or keyword.iskeyword(pkg) or pkg in _RESERVED:
        raise ValueError(f"module {pkg!r} must be a lower-case Python identifier that is not a keyword or a "
                         "PyCommerce package")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,60}", pid):
        raise ValueError(f"plugin id {pid!r} must start with a letter and hold only a-z, 0-9 and '_'")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", dist):
        raise ValueError(f"distribution name {dist!r} is not a valid package name")
    title = " ".join(part.capitalize() for part in pid.split("_"))
    return {"dist": dist, "pkg": pkg, "id": pid, "ID_UPPER": pid.upper(), "title": title,
            "model": "".join(part.capitalize() for part in pid.split("_")) + "Note"}


def scaffold_plugin(name: str, directory: Path, *, with_migrations: bool = False, distribution: str | None = None,
                    module: str | None = None, plugin_id: str | None = None) -> Path:
    """Write the package under ``directory/<dist>``; refuses to overwrite an existing folder."""
    names = plugin_names(name, distribution=distribution, module=module, plugin_id=plugin_id)
    root = Path(directory) / names["dist"]
    if root.exists():
        raise FileExistsError(f"{root} already exists")
    names["migrate_note"] = ("\nIts tables come with their own Alembic branch: `pycommerce migrate` upgrades it.\n"
                             if with_migrations else "")
    files = {
        "pyproject.toml": PYPROJECT, "README.md": README, f"{names['pkg']}/__init__.py": INIT,
        f"{names['pkg']}/settings.py": SETTINGS, f"{names['pkg']}/plugin.py": PLUGIN,
        "tests/conftest.py": CONFTEST, "tests/test_plugin.py": TEST,
    }
    if with_migrations:
        files.update({
            f"{names['pkg']}/models.py": MODELS,
            f"{names['pkg']}/migrations/__init__.py": "",
            f"{names['pkg']}/migrations/{names['id']}_0001_notes.py": MIGRATION,
            "tests/test_models.py": TEST_MODELS,
        })
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template).substitute(names))
    return root
