"""The database's refusals, told in words: a clash names what clashed, on either database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kernel.database_errors import conflict_detail
from tests.support.factory import unique


async def _clash(factory, store_id, statement: str, params: dict) -> IntegrityError:
    async with factory.session(store_id) as session:
        await session.execute(text(statement), params)
    with pytest.raises(IntegrityError) as caught:
        async with factory.session(store_id) as session:
            await session.execute(text(statement), params)
    return caught.value


async def test_a_unique_clash_names_the_table_and_columns(factory):
    store = await factory.store()
    error = await _clash(factory, store.id, "INSERT INTO customers (store_id, email, full_name, is_active, "
                         "created_at, updated_at) VALUES (:store, :email, '', true, CURRENT_TIMESTAMP, "
                         "CURRENT_TIMESTAMP)", {"store": store.id, "email": f"{unique('c')}@example.com"})
    assert conflict_detail(error).startswith("Another customer in this store already has this email")


async def test_a_clash_on_an_expression_index_names_its_column(factory):
    store = await factory.store()
    error = await _clash(factory, store.id, "INSERT INTO store_domains (store_id, hostname, is_primary) "
                         "VALUES (:store, :host, false)", {"store": store.id, "host": f"{unique('d')}.example"})
    assert conflict_detail(error).startswith("Another store domain in this store already has this hostname")
