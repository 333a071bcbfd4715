"""Drafts and submission: the steps, saving answers, references, filing a case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, union, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import cases, lifecycle
from filings.cases import add_event, search_text_of
from filings.models import (
    CaseParty,
    CaseTypeVersion,
    Filing,
    FilingStatus,
    PartyRole,
    ReferenceCounter,
)
from filings.parties.access_codes import issue_claim_code
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.mail import Outbox

# The journey, one topic per page, in order.
STEPS = (
    "eligibility",
    "about_you",
    "representative",
    "accessibility",
    "questions",
    "documents",
    "check",
    "declaration",
)


def next_step(step: str) -> str:
    position = STEPS.index(step)
    return STEPS[position + 1] if position + 1 < len(STEPS) else "submit"


def previous_step(step: str) -> str | None:
    position = STEPS.index(step)
    return STEPS[position - 1] if position > 0 else None


def start_filing(
    db: AsyncSession, tribunal: Tribunal, version: CaseTypeVersion, filer: User
) -> Filing:
    """Open a draft filing of a case type for a person."""
    filing = Filing(
        tribunal_id=tribunal.id,
        case_type_version_id=version.id,
        filer_id=filer.id,
        touched_at=utcnow(),
        answers={},
    )
    db.add(filing)
    audit.record(
        db,
        AuditAction.FILING_STARTED,
        actor_id=filer.id,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    return filing


def save_step(filing: Filing, step: str, values: dict[str, Any]) -> None:
    """Keep a step's answers in the draft and remember where the filer got to."""
    answers = dict(filing.answers or {})
    answers[step] = values
    filing.answers = answers  # a new dict, so the JSON column is written
    if STEPS.index(step) >= STEPS.index(
        filing.last_step if filing.last_step in STEPS else STEPS[0]
    ):
        filing.last_step = next_step(step) if next_step(step) in STEPS else step
    filing.touched_at = utcnow()


def resume_step(filing: Filing) -> str:
    return filing.last_step if filing.last_step in STEPS else STEPS[0]


@dataclass
class FilingSummary:
    filing: Filing
    tribunal: Tribunal
    version: CaseTypeVersion
    # The person's place in the case (None for a draft, which has no parties yet).
    role: PartyRole | None = None


async def filings_of(db: AsyncSession, user_id: uuid.UUID) -> list[FilingSummary]:
    """Return a person's drafts and the cases they take part in (as the filer, a respondent
    or a representative) across every tribunal, newest first (one query). A paper filing
    a clerk entered and nobody has claimed yet is the registry's, not the clerk's."""
    role = (
        select(CaseParty.role)
        .where(CaseParty.filing_id == Filing.id, CaseParty.user_id == user_id)
        .order_by(CaseParty.created_at, CaseParty.id)
        .limit(1)
        .correlate(Filing)
        .scalar_subquery()
    )
    # (Spelled with IS NULL: entered_by_id is NULL for every online filing.)
    not_entered_by_them = or_(Filing.entered_by_id.is_(None), Filing.entered_by_id != user_id)
    # A union of two index reads (filer, party), where an OR of the two made PostgreSQL read
    # every case of every tribunal.
    theirs = union(
        select(Filing.id).where(Filing.filer_id == user_id, not_entered_by_them),
        select(CaseParty.filing_id).where(CaseParty.user_id == user_id),
    ).subquery()
    rows = await db.execute(
        select(Filing, Tribunal, CaseTypeVersion, role.label("role"))
        .join(Tribunal, Tribunal.id == Filing.tribunal_id)
        .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
        .join(theirs, theirs.c.id == Filing.id)
        .order_by(Filing.updated_at.desc(), Filing.id)
    )
    return [
        FilingSummary(filing, tribunal, version, party_role)
        for filing, tribunal, version, party_role in rows
    ]


async def next_case_number(db: AsyncSession, tribunal_id: uuid.UUID, year: int) -> int:
    """Return the next case number of the year, taken in the caller's transaction.

    The counter row stays locked until the transaction ends, and a rolled-back
    submission gives its number back: no gaps, no duplicates.
    """
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ReferenceCounter)
        .values(tribunal_id=tribunal_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ReferenceCounter.tribunal_id, ReferenceCounter.year],
            set_={"last_number": ReferenceCounter.last_number + 1},
        )
        .returning(ReferenceCounter.last_number)
    )
    return int((await db.execute(statement)).scalar_one())


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


class AlreadySubmittedError(Exception):
    """The draft was submitted already (a second click, or another tab)."""


async def submit(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    filer: User,
) -> str:
    """Submit a draft in one transaction; return its case reference.

    Raises AlreadySubmittedError if it was submitted before: never a second case.
    """
    now = utcnow()
    claimed = await db.execute(
        update(Filing)
        .where(Filing.id == filing.id, Filing.status == FilingStatus.DRAFT)
        .values(status=FilingStatus.SUBMITTED, submitted_at=now, touched_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadySubmittedError
    year = now.astimezone(ZoneInfo(tribunal.time_zone)).year
    number = await next_case_number(db, tribunal.id, year)
    reference = format_reference(tribunal.reference_prefix, year, number)
    await db.execute(
        update(Filing)
        .where(Filing.id == filing.id)
        .values(reference=reference)
        .execution_options(synchronize_session=False)
    )
    filing.status = FilingStatus.SUBMITTED
    filing.submitted_at = now
    filing.status_changed_at = now
    filing.reference = reference
    about_you = filing.answers.get("about_you") or {}
    filing.language = about_you.get("case_language") or filer.language
    parties = add_filing_parties(db, filing, filer, now)
    filing.search_text = search_text_of(filing, parties)
    on_paper = cases.is_paper_filing(filing)
    submitted = add_event(db, filing, "submitted", actor_id=filer.id, occurred_at=now)
    if on_paper:
        submitted.details = {"entered_by": "clerk"}
    audit.record(
        db,
        AuditAction.FILING_SUBMITTED,
        actor_id=filer.id,
        actor_role="clerk" if on_paper else None,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    version = await db.get(CaseTypeVersion, filing.case_type_version_id)
    if version is not None:
        await lifecycle.submitted(db, tribunal, filing, version)
    if on_paper:
        # Entered by a clerk from a paper form: the claimant gets the acknowledgement,
        # with a one-time code to claim the case online.
        claimant = parties[0]
        code = issue_claim_code(claimant, now)
        # Without the claimant's own address (the clerk's was left in), a letter is posted.
        if claimant.email and claimant.email.lower() != filer.email.lower():
            outbox.queue(
                db,
                to=claimant.email,
                language=filing.language,
                template="paper_filing_acknowledgement",
                context={
                    "name": claimant.name,
                    "tribunal": tribunal,
                    "reference": reference,
                    "code": code,
                    "expires_at": claimant.access_code_expires_at,
                    "url": outbox.url("filings:parties:claim", tribunal=tribunal.slug),
                },
                sensitive=True,
                tribunal_id=tribunal.id,
                case_id=filing.id,
            )
        return reference
    outbox.queue(
        db,
        to=filer.email,
        language=filing.language,
        template="filing_acknowledgement",
        context={
            "name": filer.name,
            "tribunal": tribunal,
            "reference": reference,
            "url": outbox.url("filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id),
        },
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )
    return reference


def add_filing_parties(
    db: AsyncSession, filing: Filing, filer: User, now: datetime
) -> list[CaseParty]:
    """Record the claimant, and the representative they named and authorised, as parties."""
    parties = filing_parties(filing, filer, now)
    db.add_all(parties)
    return parties


def filing_parties(filing: Filing, filer: User, now: datetime) -> list[CaseParty]:
    """Return the claimant, and the representative they named and authorised, as new,
    unsaved parties of the filing (`add_filing_parties` adds them to a session)."""
    about_you = filing.answers.get("about_you") or {}
    claimant = CaseParty(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        role=PartyRole.CLAIMANT,
        name=about_you.get("full_name") or filer.name,
        email=about_you.get("email") or filer.email,
        phone=about_you.get("phone") or "",
        language=filing.language,
        # A paper filing is held by the clerk who entered it until the claimant claims it.
        user_id=None if filing.entered_by_id == filer.id else filer.id,
        joined_at=None if filing.entered_by_id == filer.id else now,
    )
    parties = [claimant]
    representative = filing.answers.get("representative") or {}
    if representative.get("has_representative"):
        acting = CaseParty(
            tribunal_id=filing.tribunal_id,
            filing_id=filing.id,
            role=PartyRole.REPRESENTATIVE,
            name=representative.get("representative_name") or "",
            organisation=representative.get("representative_firm") or "",
            licence_number=representative.get("representative_licence") or "",
            email=representative.get("representative_email") or "",
            phone=representative.get("representative_phone") or "",
            language=filing.language,
            represents_id=claimant.id,
            # The claimant gave their consent in the filing itself.
            authorised_at=now if representative.get("representative_consent") else None,
        )
        parties.append(acting)
    return parties
