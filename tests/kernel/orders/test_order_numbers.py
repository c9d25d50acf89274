"""Order numbers: per store, increasing, never repeated, and (PostgreSQL) not held by open placements."""

from __future__ import annotations

import asyncio

import pytest

from kernel.orders.service import take_order_number


class Rollback(Exception):
    """Raised to leave a unit of work without committing it."""


async def test_each_store_counts_its_own_orders(factory):
    first, second = await factory.store(), await factory.store()
    taken = []
    for store in (first, first, second, first, second):
        async with factory.session(store) as session:
            taken.append(await take_order_number(session, store.id))
    assert taken == [1, 2, 1, 3, 2]


@pytest.mark.postgres_only
async def test_an_open_placement_does_not_hold_the_next_number_back(factory):
    """The counter is committed on its own: a placement still open (here: one that will fail)
    neither blocks the next store checkout nor gives its number back."""
    store = await factory.store()
    holding, released = asyncio.Event(), asyncio.Event()

    async def placement_that_fails() -> int:
        try:
            async with factory.session(store) as session:
                number = await take_order_number(session, store.id)
                holding.set()
                await released.wait()  # the transaction stays open until the other checkout is numbered
                raise Rollback(number)
        except Rollback as failed:
            return failed.args[0]

    failing = asyncio.create_task(placement_that_fails())
    await holding.wait()
    async with factory.session(store) as session:
        # With the counter's row lock held to commit, this would wait for ``released`` forever.
        next_number = await asyncio.wait_for(take_order_number(session, store.id), timeout=5)
    released.set()
    failed_number = await failing
    async with factory.session(store) as session:
        after = await take_order_number(session, store.id)
    assert (failed_number, next_number, after) == (1, 2, 3)  # 1 stays unused; nothing repeats
