"""Finding a case, and its timeline of events."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseEvent, CaseParty, CaseTypeVersion, Filing
from tribune.db import utcnow


async def case_of(
    db: AsyncSession, tribunal_id: uuid.UUID, filing_id: uuid.UUID
) -> tuple[Filing, CaseTypeVersion] | None:
    """Return a tribunal's filing with its case type version, whoever filed it, or None.

    The caller decides who may see it (the filer, a party, staff); another tribunal's is None.
    """
    row = (
        await db.execute(
            select(Filing, CaseTypeVersion)
            .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
            .where(Filing.id == filing_id, Filing.tribunal_id == tribunal_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def filing_of(
    db: AsyncSession, tribunal_id: uuid.UUID, filing_id: uuid.UUID, filer_id: uuid.UUID
) -> tuple[Filing, CaseTypeVersion] | None:
    """Return a person's own filing in a tribunal with its case type version, or None.

    Another person's filing, or one of another tribunal, is None: the page is a 404.
    """
    row = (
        await db.execute(
            select(Filing, CaseTypeVersion)
            .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
            .where(
                Filing.id == filing_id,
                Filing.tribunal_id == tribunal_id,
                Filing.filer_id == filer_id,
            )
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


def search_words(text: str) -> list[str]:
    """Return the words of a text, lower-cased, split on anything but letters and digits:
    WCAT-2026-000123 is three words (PostgreSQL's parser would read "-2026" as a number)."""
    return re.findall(r"[^\W_]+", text.lower())


def search_text_of(filing: Filing, parties: list[CaseParty]) -> str:
    """Return what the docket search matches for a case: the words of its reference and of
    every party's and representative's name and organisation, lower-cased."""
    texts = [filing.reference or ""]
    for party in parties:
        texts += [party.name or "", party.organisation or ""]
    return " ".join(search_words(" ".join(texts)))


def add_event(
    db: AsyncSession,
    filing: Filing,
    kind: str,
    *,
    actor_id: uuid.UUID | None,
    occurred_at: datetime | None = None,
    visible_to_parties: bool = True,
    **details: Any,
) -> CaseEvent:
    event = CaseEvent(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        kind=kind,
        occurred_at=occurred_at or utcnow(),
        actor_id=actor_id,
        visible_to_parties=visible_to_parties,
        details=details,
    )
    db.add(event)
    return event


async def events_of(db: AsyncSession, filing: Filing, *, parties_only: bool) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.filing_id == filing.id)
    if parties_only:
        query = query.where(CaseEvent.visible_to_parties.is_(True))
    return list((await db.execute(query.order_by(CaseEvent.occurred_at, CaseEvent.id))).scalars())
