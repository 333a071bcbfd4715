"""Case references: unique per tribunal, sequential per year, no gaps under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from accounts.models import User
from filings.casetypes.services import create_case_type
from filings.demo import DEMO_CASE_TYPES
from filings.journey.services import format_reference, start_filing, submit
from filings.models import CaseEvent, CaseType, CaseTypeVersion, Filing, ReferenceCounter
from tests.conftest import new_test_engine
from tribunals.models import Tribunal
from tribune.app import build_outbox
from tribune.jobs import Job
from tribune.mail import OutboxMessage
from tribune.settings import Settings

SUBMISSIONS = 50


def test_reference_format() -> None:
    assert format_reference("WCAT", 2026, 123) == "WCAT-2026-000123"


@pytest.mark.usefixtures("engine")  # the schema is migrated
async def test_concurrent_submissions_get_distinct_gap_free_references(settings: Settings) -> None:
    engine = new_test_engine()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    slug = f"ref{uuid.uuid4().hex[:8]}"
    outbox = build_outbox(settings)
    try:
        async with sessions() as db:
            tribunal = Tribunal(slug=slug, name_en="Ref", name_fr="Réf", short_name_en="REF")
            user = User(email=f"{slug}@example.org", name="Filer", password_hash="!")
            db.add_all([tribunal, user])
            await db.flush()
            version = await create_case_type(
                db, tribunal, **DEMO_CASE_TYPES["wcat"][1], publish=True
            )
            filing_ids = [start_filing(db, tribunal, version, user).id for _ in range(SUBMISSIONS)]
            await db.commit()

        async def submit_one(filing_id: uuid.UUID) -> str:
            async with sessions() as db:
                filing = await db.get_one(Filing, filing_id)
                own_tribunal = await db.get_one(Tribunal, filing.tribunal_id)
                filer = await db.get_one(User, filing.filer_id)
                reference = await submit(db, outbox, own_tribunal, filing, filer)
                await db.commit()
                return reference

        references = await asyncio.gather(*(submit_one(fid) for fid in filing_ids))
        year = date.today().year
        assert sorted(references) == [
            format_reference("REF", year, number) for number in range(1, SUBMISSIONS + 1)
        ]
    finally:
        async with sessions() as db:
            tribunal_id = (
                await db.execute(select(Tribunal.id).where(Tribunal.slug == slug))
            ).scalar_one_or_none()
            if tribunal_id is not None:
                for model in (CaseEvent, Filing, CaseTypeVersion, CaseType, ReferenceCounter):
                    await db.execute(delete(model).where(model.tribunal_id == tribunal_id))
                await db.execute(
                    delete(OutboxMessage).where(OutboxMessage.tribunal_id == tribunal_id)
                )
                await db.execute(delete(Job).where(Job.kind == "mail.deliver"))
                await db.execute(delete(Tribunal).where(Tribunal.id == tribunal_id))
                await db.execute(delete(User).where(User.email == f"{slug}@example.org"))
            await db.commit()
        await engine.dispose()
