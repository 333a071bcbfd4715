"""Paper filings: a clerk enters a filing received on paper, the claimant is given a
one-time access code (by email or on a posted letter) and claims the case online with it
(filings.access_codes redeems it, as it does a respondent's or representative's code)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.journey.services import start_filing
from filings.models import CaseParty, CaseTypeVersion, Filing, PartyRole
from filings.parties.access_codes import issue_claim_code
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.mail import Outbox
from tribune.views import PageView


def start_paper_filing(
    db: AsyncSession, tribunal: Tribunal, version: CaseTypeVersion, *, clerk: User, clerk_role: str
) -> Filing:
    """Start a filing a clerk enters from paper: held by the clerk until the claimant claims
    it online (filings.parties.access_codes)."""
    filing = start_filing(db, tribunal, version, clerk)
    filing.entered_by_id = clerk.id
    audit.record(
        db,
        AuditAction.FILING_PAPER_STARTED,
        actor_id=clerk.id,
        actor_role=clerk_role,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    return filing


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


@dataclass(frozen=True)
class AccessLetter(PageView):
    """A letter posted to a claimant without email, to claim their paper filing online."""

    filing: Filing
    claimant: CaseParty
    address: list[str]  # Canada Post's order: street lines, then "CITY PROVINCE  POSTAL CODE"
    claimed: bool  # someone claimed the case already: no new code is made
    claim_url: str
    code: str | None = None  # only on the letter printed once with a fresh code
    expires_at: datetime | None = None


async def access_letter(
    db: AsyncSession, outbox: Outbox, tribunal: Tribunal, filing: Filing
) -> AccessLetter | None:
    """Return the letter for a paper filing, without a code; None if it has no claimant."""
    claimant = await claimant_of(db, filing)
    if claimant is None:
        return None
    about_you = (filing.answers or {}).get("about_you") or {}
    city_line = " ".join(
        part for part in (about_you.get("city"), about_you.get("province")) if part
    )
    return AccessLetter(
        filing=filing,
        claimant=claimant,
        address=[
            about_you.get("address_line1") or "",
            about_you.get("address_line2") or "",
            "  ".join(part for part in (city_line, about_you.get("postal_code") or "") if part),
        ],
        claimed=claimant.user_id is not None,
        claim_url=outbox.url("filings:parties:claim", tribunal=tribunal.slug),
    )


def with_fresh_code(
    db: AsyncSession, letter: AccessLetter, *, clerk: User, clerk_role: str
) -> AccessLetter:
    """Return the letter with a new code to claim the case (the earlier one stops working),
    audited; the caller checks the case is not claimed yet."""
    code = issue_claim_code(letter.claimant)
    audit.record(
        db,
        AuditAction.FILING_ACCESS_LETTER_PRINTED,
        actor_id=clerk.id,
        actor_role=clerk_role,
        tribunal_id=letter.filing.tribunal_id,
        subject_type="filing",
        subject_id=letter.filing.id,
    )
    return dataclasses.replace(letter, code=code, expires_at=letter.claimant.access_code_expires_at)
