"""Paper filings: a clerk enters a filing received on paper, the claimant is given a
one-time access code (by email or on a posted letter) and claims the case online with it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.access_codes import hash_access_code, issue_access_code, normalise_access_code
from filings.models import CaseParty, Filing, PartyRole
from tribune import audit
from tribune.db import utcnow

CODE_LIFETIME = timedelta(days=90)
# Wrong codes a person may enter in an hour before claiming is refused for a while.
MAX_FAILURES_PER_HOUR = 10


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


async def recent_failures(db: AsyncSession, user_id: uuid.UUID) -> int:
    """Return how many wrong codes a person entered in the last hour, in any tribunal."""
    since = utcnow() - timedelta(hours=1)
    count = await db.execute(
        select(func.count())
        .select_from(audit.AuditEvent)
        .where(
            audit.AuditEvent.action == "filing.claim_failed",
            audit.AuditEvent.actor_id == user_id,
            audit.AuditEvent.occurred_at >= since,
        )
    )
    return int(count.scalar_one())


@dataclass
class Claimable:
    filing: Filing
    party: CaseParty


async def claimable(
    db: AsyncSession, tribunal_id: uuid.UUID, reference: str, code: str
) -> Claimable | None:
    """Return the case and claimant party this reference and unexpired code open, or None."""
    if not reference.strip() or not normalise_access_code(code):
        return None
    row = (
        await db.execute(
            select(Filing, CaseParty)
            .join(CaseParty, CaseParty.filing_id == Filing.id)
            .where(
                Filing.tribunal_id == tribunal_id,
                Filing.reference == reference.strip().upper(),
                CaseParty.role == PartyRole.CLAIMANT,
                CaseParty.user_id.is_(None),
                CaseParty.access_code_hash == hash_access_code(code),
                CaseParty.access_code_expires_at > utcnow(),
            )
        )
    ).first()
    if row is None or not row[0].status.is_case:
        return None
    return Claimable(row[0], row[1])


def claim(db: AsyncSession, found: Claimable, user_id: uuid.UUID) -> None:
    """Hand the case to the person who claimed it; the code cannot be used again."""
    now = utcnow()
    found.filing.filer_id = user_id
    found.party.user_id = user_id
    found.party.joined_at = now
    found.party.access_code_hash = None
    found.party.access_code_expires_at = None
    audit.record(
        db,
        "filing.claimed",
        actor_id=user_id,
        actor_role="claimant",
        tribunal_id=found.filing.tribunal_id,
        subject_type="filing",
        subject_id=found.filing.id,
    )
