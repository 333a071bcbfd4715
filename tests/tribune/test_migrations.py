"""The migrations build exactly the schema the models describe, both ways, on both databases.

Covered: Alembic's autogenerate finds no difference between the migrated test
database and the models; there is one head; a fresh database goes down to base
and back up to head; the audit log refuses UPDATE and DELETE (database triggers).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, inspect, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from filings.models import POSTGRESQL_ONLY_SCHEMA
from tests.conftest import TEST_DATABASE_URL, on_postgresql
from tribune import audit
from tribune.app import metadata
from tribune.audit import AuditAction, AuditEvent
from tribune.db import create_engine
from tribune.settings import PROJECT_ROOT

# Suffixed like the run's own schema: runs side by side must not share it.
ROUNDTRIP_SCHEMA = f"migration_roundtrip_{os.getpid()}"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def differences(connection: Connection) -> list[Any]:
    def include_object(
        _object: Any, name: str | None, _type: str, _reflected: bool, _compare_to: Any
    ) -> bool:
        return name not in POSTGRESQL_ONLY_SCHEMA

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    found = list(compare_metadata(context, metadata))
    if connection.dialect.name != "sqlite":
        return found

    # SQLite does not report the name of a foreign key declared on a column added by
    # ALTER TABLE (migration 0004), so the same key shows as removed unnamed and added named.
    def shape(change: Any) -> tuple[str, ...]:
        constraint = change[1]
        return (
            *[column.name for column in constraint.columns],
            *[element.target_fullname for element in constraint.elements],
        )

    removed_unnamed = {
        shape(change) for change in found if change[0] == "remove_fk" and change[1].name is None
    }
    added = {shape(change) for change in found if change[0] == "add_fk"}
    renamed_only = removed_unnamed & added
    return [
        change
        for change in found
        if not (change[0] in ("remove_fk", "add_fk") and shape(change) in renamed_only)
    ]


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migrated_schema_matches_the_models(connection: AsyncConnection) -> None:
    assert await connection.run_sync(differences) == []


def test_there_is_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"merge the migration heads: {heads}"


@pytest.fixture
async def fresh_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of its own: the shared test schema stays untouched."""
    if not on_postgresql():
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.sqlite3'}")
        yield engine
        await engine.dispose()
        return
    admin = create_engine(TEST_DATABASE_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA IF EXISTS "{ROUNDTRIP_SCHEMA}" CASCADE'))
        await connection.execute(text(f'CREATE SCHEMA "{ROUNDTRIP_SCHEMA}"'))
    engine = create_engine(
        TEST_DATABASE_URL,
        connect_args={"server_settings": {"search_path": ROUNDTRIP_SCHEMA}},
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{ROUNDTRIP_SCHEMA}" CASCADE'))
        await admin.dispose()


async def test_a_fresh_database_goes_down_to_base_and_back_up(fresh_engine: AsyncEngine) -> None:
    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "head")

    def downgrade(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "base")

    model_tables = set(metadata.tables)
    async with fresh_engine.begin() as connection:
        await connection.run_sync(upgrade)
    async with fresh_engine.begin() as connection:
        assert await connection.run_sync(table_names) == model_tables | {"alembic_version"}

    async with fresh_engine.begin() as connection:
        await connection.run_sync(downgrade)
    async with fresh_engine.begin() as connection:
        assert await connection.run_sync(table_names) <= {"alembic_version"}

    async with fresh_engine.begin() as connection:
        await connection.run_sync(upgrade)
    async with fresh_engine.connect() as connection:
        assert await connection.run_sync(table_names) == model_tables | {"alembic_version"}
        assert await connection.run_sync(differences) == []


async def test_the_audit_log_cannot_be_changed_or_deleted(db: AsyncSession) -> None:
    event = audit.record(db, AuditAction.STORAGE_ORPHANS_SWEPT, note="kept")
    await db.commit()
    event_id = event.id  # read now: the rollbacks below expire the object

    changes = [
        update(AuditEvent).where(AuditEvent.id == event_id).values(action="test.rewritten"),
        delete(AuditEvent).where(AuditEvent.id == event_id),
    ]
    for change in changes:
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(change.execution_options(synchronize_session=False))
        await db.rollback()

    stored = await db.get_one(AuditEvent, event_id)
    assert stored.action == AuditAction.STORAGE_ORPHANS_SWEPT
    assert stored.details == {"note": "kept"}
