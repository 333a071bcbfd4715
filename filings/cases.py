"""Finding a case, and its timeline of events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import CaseEvent, CaseParty, CaseTypeVersion, Filing, FilingStatus
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow


async def find_case(
    db: AsyncSession,
    tribunal_id: uuid.UUID,
    case_id: uuid.UUID,
    *,
    drafts: bool = False,
    filer_id: uuid.UUID | None = None,
) -> tuple[Filing, CaseTypeVersion] | None:
    """Return a tribunal's case with its case type version, or None.

    A draft is found only with `drafts`; with `filer_id`, only that person's filing. Another
    tribunal's case is None, so its page is a 404. The caller decides who may see it (the
    filer, a party, staff): see `filings.access`.
    """
    query = (
        select(Filing, CaseTypeVersion)
        .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
        .where(Filing.id == case_id, Filing.tribunal_id == tribunal_id)
    )
    if not drafts:
        query = query.where(Filing.status != FilingStatus.DRAFT)
    if filer_id is not None:
        query = query.where(Filing.filer_id == filer_id)
    row = (await db.execute(query)).one_or_none()
    return (row[0], row[1]) if row else None


def record_view(db: AsyncSession, filing: Filing, *, reader: User, role: str | None) -> None:
    """Write to the audit log that `reader` opened the case's page, in the capacity `role`."""
    audit.record(
        db,
        AuditAction.FILING_VIEWED,
        actor_id=reader.id,
        actor_role=role,
        tribunal_id=filing.tribunal_id,
        subject_type="filing",
        subject_id=filing.id,
    )


def is_paper_filing(filing: Filing) -> bool:
    """Return whether a clerk entered the filing from a paper form."""
    return filing.entered_by_id is not None


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
    details: Mapping[str, Any] | None = None,
    **more_details: Any,
) -> CaseEvent:
    """Add an event to the case's timeline, shown to its parties unless `visible_to_parties`
    is False (notes, assignments)."""
    event = new_event(
        filing,
        kind,
        actor_id=actor_id,
        occurred_at=occurred_at,
        visible_to_parties=visible_to_parties,
        details=details,
        **more_details,
    )
    db.add(event)
    return event


def new_event(
    filing: Filing,
    kind: str,
    *,
    actor_id: uuid.UUID | None,
    occurred_at: datetime | None = None,
    visible_to_parties: bool = True,
    details: Mapping[str, Any] | None = None,
    **more_details: Any,
) -> CaseEvent:
    """Return a new, unsaved event of the case's timeline (`add_event` adds it to a session).
    The only place a case event is made."""
    return CaseEvent(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        kind=kind,
        occurred_at=occurred_at or utcnow(),
        actor_id=actor_id,
        visible_to_parties=visible_to_parties,
        details={**(details or {}), **more_details},
    )


async def events_of(db: AsyncSession, filing: Filing, *, parties_only: bool) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.filing_id == filing.id)
    if parties_only:
        query = query.where(CaseEvent.visible_to_parties.is_(True))
    return list((await db.execute(query.order_by(CaseEvent.occurred_at, CaseEvent.id))).scalars())
