"""Test set-up: the environment before Tribune is imported, a migrated database, a client.

The schema is built once per run by the real Alembic migrations. Each test runs
inside a transaction that is rolled back at its end: the app's sessions join it
through savepoints, so what a request commits is seen by the test, then undone.
The suite runs on SQLite, or on PostgreSQL when TRIBUNE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

_TEMPORARY = Path(tempfile.mkdtemp(prefix="tribune-tests-"))
TEST_DATABASE_URL = os.environ.get("TRIBUNE_TEST_DATABASE_URL") or (
    f"sqlite+aiosqlite:///{_TEMPORARY / 'tribune.sqlite3'}"
)
os.environ.update(
    {
        "TRIBUNE_ENV": "development",
        "TRIBUNE_DATA_DIR": str(_TEMPORARY),
        "TRIBUNE_DATABASE_URL": TEST_DATABASE_URL,
        "TRIBUNE_STORAGE_URL": str(_TEMPORARY / "documents"),
        "TRIBUNE_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "TRIBUNE_BASE_URL": "http://testserver",
        "TRIBUNE_INLINE_WORKER": "false",
    }
)
os.environ.pop("TRIBUNE_SMTP_URL", None)

import httpx  # noqa: E402
import pytest  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import (  # noqa: E402
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from starlette.applications import Starlette  # noqa: E402

from tribune.app import create_app  # noqa: E402
from tribune.db import Database, create_engine  # noqa: E402
from tribune.settings import PROJECT_ROOT, Settings, load_settings  # noqa: E402

# Loaded as plugins so that pytest rewrites their asserts: the factories, one module per
# domain, then the shared helpers (which use them), then the S3 server fixtures.
pytest_plugins = [
    "tests.factories",
    "tests.factories.accounts",
    "tests.factories.tribunals",
    "tests.factories.filings",
    "tests.helpers",
    "tests.s3",
]


def on_postgresql() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


# On PostgreSQL each run gets a schema of its own, dropped at the end, so runs side by
# side (or an interrupted run) never see each other's tables.
TEST_SCHEMA = f"tribune_test_{os.getpid()}"


def engine_options(schema: str = TEST_SCHEMA) -> dict[str, Any]:
    """Return create_engine() options that put a PostgreSQL engine in a schema."""
    if not on_postgresql():
        return {}
    return {"connect_args": {"server_settings": {"search_path": schema}}}


def new_test_engine(schema: str = TEST_SCHEMA, **options: Any) -> AsyncEngine:
    """Return a new engine on the test database (and schema): for tests needing real commits
    (`options`: create_engine's)."""
    return create_engine(TEST_DATABASE_URL, **engine_options(schema), **options)


def run_migrations(connection: object, revision: str = "head") -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def reset_schema(engine: AsyncEngine, schema: str = TEST_SCHEMA) -> None:
    """Start from an empty PostgreSQL schema (a SQLite file starts empty anyway)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))


async def drop_schema(engine: AsyncEngine, schema: str = TEST_SCHEMA) -> None:
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def pytest_report_header() -> str:
    return f"tribune database: {'postgresql' if on_postgresql() else 'sqlite'}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = new_test_engine()
    await reset_schema(engine)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    yield engine
    await drop_schema(engine)
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def database(engine: AsyncEngine, connection: AsyncConnection) -> Database:
    sessionmaker = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return Database(engine, sessionmaker)


@pytest.fixture
async def db(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.session() as session:
        yield session


@pytest.fixture
def app(settings: Settings, database: Database) -> Starlette:
    return create_app(settings, database, inline_worker=False)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
