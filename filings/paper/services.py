"""Paper filings: a clerk enters a filing received on paper, the claimant is given a
one-time access code (by email or on a posted letter) and claims the case online with it
(filings.access_codes redeems it, as it does a respondent's or representative's code)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseParty, Filing, PartyRole
from filings.parties.access_codes import issue_access_code

CODE_LIFETIME = timedelta(days=90)


def issue_code(party: CaseParty, now: datetime | None = None) -> str:
    """Give a claimant party a new code to claim the case (replacing any earlier one)."""
    return issue_access_code(party, CODE_LIFETIME, now)


def is_paper_filing(filing: Filing) -> bool:
    return filing.entered_by_id is not None


async def claimant_of(db: AsyncSession, filing: Filing) -> CaseParty | None:
    return (
        await db.execute(
            select(CaseParty)
            .where(CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.CLAIMANT)
            .order_by(CaseParty.created_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def unclaimed_paper_filings(db: AsyncSession, tribunal_id: uuid.UUID) -> list[Filing]:
    """Return the tribunal's paper filings still held by the clerk who entered them."""
    rows = await db.execute(
        select(Filing)
        .where(
            Filing.tribunal_id == tribunal_id,
            Filing.entered_by_id.is_not(None),
            Filing.filer_id == Filing.entered_by_id,
        )
        .order_by(Filing.created_at.desc(), Filing.id)
        .limit(50)
    )
    return list(rows.scalars())
