"""A pooled PostgreSQL connection the server closed while it sat idle is replaced, not used."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import new_test_engine, on_postgresql

pytestmark = pytest.mark.skipif(
    not on_postgresql(), reason="only a database server closes a pooled connection"
)


async def _pool_connection_closed_by_the_server(ping_after_idle: float) -> int:
    """Use a pooled connection, have the server close it, wait, and use the pool again;
    return the server process that answered."""
    engine = new_test_engine(pool_size=1, ping_after_idle=ping_after_idle)
    admin = new_test_engine(pool_size=1)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.3)
        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
        return int(second)
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_closed_while_idle_is_replaced_before_use() -> None:
    assert await _pool_connection_closed_by_the_server(ping_after_idle=0.1)


async def test_without_the_idle_test_the_closed_connection_would_fail_the_request() -> None:
    # The control: the same sequence, with the connection not idle long enough to be tested.
    with pytest.raises(DBAPIError):
        await _pool_connection_closed_by_the_server(ping_after_idle=3600)
