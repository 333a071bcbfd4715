"""A kept read gives what SQLAlchemy gives for the same statement, run after run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import Filing, FilingStatus
from tests.factories.filings import make_case, make_case_type
from tests.factories.tribunals import make_tribunal
from tribune.db import KeptRead


async def test_a_kept_read_gives_sqlalchemys_rows_for_each_parameter_set(
    db: AsyncSession,
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    received = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)
    cases = []
    for number in range(6):
        case = await make_case(
            db, tribunal, version=version, submitted_at=received - timedelta(days=number)
        )
        case.status = (FilingStatus.ACCEPTED, FilingStatus.RETURNED, FilingStatus.DRAFT)[number % 3]
        cases.append(case)
    await make_case(db, other, submitted_at=received)
    await db.commit()
    # An enum list written in (expanded once), named parameters of three types, and result
    # columns an enum and a UTC timestamp convert.
    statement = (
        select(Filing.id, Filing.reference, Filing.status, Filing.submitted_at)
        .where(
            Filing.tribunal_id == bindparam("tribunal_id"),
            Filing.status.in_([FilingStatus.ACCEPTED, FilingStatus.RETURNED]),
            Filing.submitted_at < bindparam("before", type_=Filing.submitted_at.type),
        )
        .order_by(Filing.submitted_at.desc())
    )
    kept = KeptRead(cast("Select[Any]", statement))
    connection = await db.connection()
    for values in (
        {"tribunal_id": tribunal.id, "before": received + timedelta(days=1)},
        {"tribunal_id": tribunal.id, "before": received - timedelta(days=2)},
        {"tribunal_id": other.id, "before": received + timedelta(days=1)},
    ):
        expected = [tuple(row) for row in await connection.execute(statement, values)]
        assert await kept.tuples(connection, values) == expected
    rows = await kept.tuples(
        connection, {"tribunal_id": tribunal.id, "before": received + timedelta(days=1)}
    )
    assert [row[0] for row in rows] == [
        case.id for case in cases if case.status in {FilingStatus.ACCEPTED, FilingStatus.RETURNED}
    ]
    assert all(isinstance(row[2], FilingStatus) for row in rows)
    assert all(row[3].tzinfo is not None for row in rows)
