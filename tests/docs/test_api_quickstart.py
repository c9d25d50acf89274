"""docs/api.md's quick start, run as written: every fenced block of the section, in curl, Python and
JavaScript, against a live server (uvicorn in its own process on 127.0.0.1), so the examples a
reader copies cannot drift from the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from kernel.accounts.models import ApiKey
from kernel.orders.models import Order, OrderLine
from tests.support import shop
from tests.support.plugin_server import plugin_server

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
RUNNERS = {"sh": ["bash", "-euo", "pipefail", "-s"], "python": [sys.executable, "-"],
           "js": ["node", "--input-type=module", "-"]}


def quickstart_blocks() -> dict[str, list[str]]:
    """The section's fenced blocks by language, in reading order, from its first numbered flow on
    (the block before it only exports the reader's credentials, which the test supplies)."""
    text = API_MD.read_text()
    section = text[text.index("\n## Quick start"):]
    following = section.find("\n## ", 1)
    section = section[:following] if following != -1 else section
    flows = section[section.index("\n### "):]
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"^```(\w+)\n(.*?)^```$", flows, flags=re.S | re.M):
        blocks.setdefault(language, []).append(body)
    return blocks


def test_every_flow_is_shown_in_every_language():
    flows = len(re.findall(r"^### ", API_MD.read_text().split("\n## Quick start", 1)[1], flags=re.M))
    assert flows == 4
    assert {language: len(bodies) for language, bodies in quickstart_blocks().items()} == \
        {language: flows for language in RUNNERS}


@pytest.fixture(scope="module")
def live_server(settings, database):
    with plugin_server(settings, database.url, []) as base:
        yield base


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(RUNNERS))
async def test_the_quickstart_runs_against_a_live_server(language, live_server, factory):
    store = await factory.store()
    owner = await factory.staff(store)
    await shop.standard_plugins(factory, store)
    env = {**os.environ, "PYCOMMERCE_URL": live_server, "STORE": store.slug, "EMAIL": owner.user.email,
           "PASSWORD": "correct-horse-9"}
    script = "\n".join(quickstart_blocks()[language])
    run = subprocess.run(RUNNERS[language], input=script, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"{language} quick start failed:\n{run.stdout}\n{run.stderr}"

    placed = re.search(r"^placed order (\d+) \(pending_payment\), total (\d+)$", run.stdout, flags=re.M)
    assert placed, run.stdout
    number, total = int(placed.group(1)), int(placed.group(2))
    # The sync saw the order just placed, and says where the next one starts.
    assert re.search(rf"^order {number}: pending_payment, {total} USD$", run.stdout, flags=re.M), run.stdout
    synced = re.search(r"^synced (\d+) orders; next time LAST_SEEN=(\d+)$", run.stdout, flags=re.M)
    assert synced and int(synced.group(1)) == 1, run.stdout
    async with factory.session(store) as session:
        order = (await session.execute(select(Order).where(Order.number == number))).scalar_one()
        assert (order.total, int(synced.group(2))) == (total, order.id)
        quantities = (await session.execute(select(OrderLine.quantity).where(OrderLine.order_id == order.id))).scalars()
        assert list(quantities) == [2]
        keys = (await session.execute(select(ApiKey.name, ApiKey.scopes))).all()
        assert keys == [("quick start", ["catalog:read", "catalog:write", "orders:read"])]
