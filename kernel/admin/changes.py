"""A change a form asks for, which the domain may refuse: it runs in a savepoint, so a refusal is
taken back and the page shown again with the reason, in the same (committed) request.

On SQLite a savepoint opened before the transaction's first write starts a *deferred* transaction:
its first read pins a snapshot, and if another connection (the job worker, a second request)
writes before this one does, this one's first write fails at once with "database is locked"
whatever the busy timeout. Starting the transaction with ``BEGIN IMMEDIATE`` instead takes the
write lock up front, so the change waits its turn like any other writer.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import dialect_of


@asynccontextmanager
async def refusable(session: AsyncSession):
    if dialect_of(session) == "sqlite":
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        if not driver.in_transaction:
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
    async with session.begin_nested():
        yield
