"""The rules of filing: case types on offer, drafts, steps, submission and references."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import lifecycle, paper
from filings.models import (
    CaseEvent,
    CaseParty,
    CaseType,
    CaseTypeVersion,
    Document,
    Filing,
    FilingStatus,
    PartyRole,
    ReferenceCounter,
    VersionStatus,
)
from filings.questions import CaseTypeDefinition, DefinitionError, parse_definition
from tribunals.models import Role, Tribunal
from tribune import audit, mail
from tribune.db import utcnow
from tribune.settings import Settings

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


async def published_versions(db: AsyncSession, tribunal_id: uuid.UUID) -> list[CaseTypeVersion]:
    """Return the published version of each of a tribunal's case types, by title."""
    rows = await db.execute(
        select(CaseTypeVersion)
        .where(
            CaseTypeVersion.tribunal_id == tribunal_id,
            CaseTypeVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(CaseTypeVersion.title_en)
    )
    return list(rows.scalars())


async def published_version(
    db: AsyncSession, tribunal_id: uuid.UUID, version_id: uuid.UUID
) -> CaseTypeVersion | None:
    """Return a published version of one of the tribunal's case types, or None."""
    version = await db.get(CaseTypeVersion, version_id)
    if version is None or version.tribunal_id != tribunal_id:
        return None
    return version if version.status is VersionStatus.PUBLISHED else None


async def create_case_type(
    db: AsyncSession,
    tribunal: Tribunal,
    *,
    code: str,
    title_en: str,
    title_fr: str,
    description_en: str = "",
    description_fr: str = "",
    eligibility_en: str = "",
    eligibility_fr: str = "",
    definition: dict[str, Any],
    publish: bool = False,
) -> CaseTypeVersion:
    """Create a case type with its first version (a draft unless ``publish``)."""
    case_type = CaseType(tribunal_id=tribunal.id, code=code)
    db.add(case_type)
    await db.flush()
    version = CaseTypeVersion(
        tribunal_id=tribunal.id,
        case_type_id=case_type.id,
        number=1,
        title_en=title_en,
        title_fr=title_fr,
        description_en=description_en,
        description_fr=description_fr,
        eligibility_en=eligibility_en,
        eligibility_fr=eligibility_fr,
        definition=definition,
    )
    db.add(version)
    await db.flush()
    if publish:
        await publish_version(db, version)
    return version


async def publish_version(db: AsyncSession, version: CaseTypeVersion) -> None:
    """Publish a version; the one it replaces is retired but kept for its filings."""
    await db.execute(
        update(CaseTypeVersion)
        .where(
            CaseTypeVersion.case_type_id == version.case_type_id,
            CaseTypeVersion.status == VersionStatus.PUBLISHED,
            CaseTypeVersion.id != version.id,
        )
        .values(status=VersionStatus.RETIRED)
        .execution_options(synchronize_session=False)
    )
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()


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
        "filing.started",
        actor_id=filer.id,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    return filing


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
    rows = await db.execute(
        select(Filing, Tribunal, CaseTypeVersion, role.label("role"))
        .join(Tribunal, Tribunal.id == Filing.tribunal_id)
        .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
        .where(
            or_(
                and_(Filing.filer_id == user_id, not_entered_by_them),
                Filing.id.in_(select(CaseParty.filing_id).where(CaseParty.user_id == user_id)),
            )
        )
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
    environment: Environment,
    settings: Settings,
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
    on_paper = paper.is_paper_filing(filing)
    submitted = add_event(db, filing, "submitted", actor_id=filer.id, occurred_at=now)
    if on_paper:
        submitted.details = {"entered_by": "clerk"}
    audit.record(
        db,
        "filing.submitted",
        actor_id=filer.id,
        actor_role="clerk" if on_paper else None,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
    )
    if on_paper:
        # Entered by a clerk from a paper form: the claimant gets the acknowledgement,
        # with a one-time code to claim the case online.
        claimant = parties[0]
        code = paper.issue_code(claimant, now)
        # Without the claimant's own address (the clerk's was left in), a letter is posted.
        if claimant.email and claimant.email.lower() != filer.email.lower():
            mail.queue_message(
                db,
                environment,
                to=claimant.email,
                language=filing.language,
                template="paper_filing_acknowledgement",
                context={
                    "name": claimant.name,
                    "tribunal": tribunal,
                    "reference": reference,
                    "code": code,
                    "expires_at": claimant.access_code_expires_at,
                    "url": f"{settings.base_url}/{tribunal.slug}/claim",
                },
                sensitive=True,
                tribunal_id=tribunal.id,
                case_id=filing.id,
            )
        return reference
    mail.queue_message(
        db,
        environment,
        to=filer.email,
        language=filing.language,
        template="filing_acknowledgement",
        context={
            "name": filer.name,
            "tribunal": tribunal,
            "reference": reference,
            "url": f"{settings.base_url}/{tribunal.slug}/cases/{filing.id}",
        },
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )
    return reference


def add_filing_parties(
    db: AsyncSession, filing: Filing, filer: User, now: datetime
) -> list[CaseParty]:
    """Record the claimant, and the representative they named and authorised, as parties."""
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
    db.add(claimant)
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
        db.add(acting)
        parties.append(acting)
    return parties


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


async def documents_of(
    db: AsyncSession, filing: Filing, *, response_id: uuid.UUID | None = None
) -> list[Document]:
    """Return the filing's own documents, or with `response_id` those of that response."""
    owner = (
        Document.response_id.is_(None)
        if response_id is None
        else Document.response_id == response_id
    )
    rows = await db.execute(
        select(Document).where(Document.filing_id == filing.id, owner).order_by(Document.created_at)
    )
    return list(rows.scalars())


@dataclass
class SlotUsage:
    counts: dict[str, int]
    total_size: int


async def document_usage(
    db: AsyncSession, filing: Filing, *, response_id: uuid.UUID | None = None
) -> SlotUsage:
    """Return how many files each slot of the filing (or of the response `response_id`) holds,
    and the whole case's total size, responses included (one query)."""
    rows = await db.execute(
        select(
            Document.slot,
            Document.response_id,
            func.count(),
            func.coalesce(func.sum(Document.size), 0),
        )
        .where(Document.filing_id == filing.id)
        .group_by(Document.slot, Document.response_id)
    )
    counts: dict[str, int] = {}
    total = 0
    for slot, owner, count, size in rows:
        if owner == response_id:
            counts[slot] = int(count)
        total += int(size)
    return SlotUsage(counts, total)


async def duplicate_of(
    db: AsyncSession, filing: Filing, sha256: str, *, response_id: uuid.UUID | None = None
) -> Document | None:
    """Return the filing's document (or the response's) with these exact bytes, or None."""
    owner = (
        Document.response_id.is_(None)
        if response_id is None
        else Document.response_id == response_id
    )
    return (
        await db.execute(
            select(Document).where(
                Document.filing_id == filing.id, Document.sha256 == sha256, owner
            )
        )
    ).scalar_one_or_none()


def add_document(
    db: AsyncSession,
    filing: Filing,
    *,
    slot: str,
    storage_key: str,
    filename: str,
    size: int,
    sha256: str,
    kind: str,
    uploader: User,
    response_id: uuid.UUID | None = None,
) -> Document:
    document = Document(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        slot=slot,
        storage_key=storage_key,
        filename=filename,
        size=size,
        sha256=sha256,
        kind=kind,
        uploaded_by_id=uploader.id,
        response_id=response_id,
    )
    db.add(document)
    audit.record(
        db,
        "document.uploaded",
        actor_id=uploader.id,
        tribunal_id=filing.tribunal_id,
        subject_type="document",
        subject_id=document.id,
    )
    if response_id is not None:
        pass  # a response's documents reach the other parties with the response, once filed
    elif filing.status.is_case:
        add_event(db, filing, "document_added", actor_id=uploader.id, filename=filename)
    else:
        filing.touched_at = utcnow()  # an upload is work on the draft: it must not expire
    return document


async def document_in(
    db: AsyncSession, tribunal_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[Document, Filing] | None:
    """Return a tribunal's document with its filing, or None (another tribunal's is None)."""
    row = (
        await db.execute(
            select(Document, Filing)
            .join(Filing, Filing.id == Document.filing_id)
            .where(Document.id == document_id, Document.tribunal_id == tribunal_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


REGISTRY_ROLES = frozenset({Role.CLERK, Role.ADMIN})


def holds_filing(filing: Filing, user_id: uuid.UUID, roles: set[Role]) -> bool:
    """Return whether the account holds the filing: its filer, except that an unclaimed
    paper filing is held by the clerk who entered it only while they work in the registry."""
    if filing.filer_id != user_id:
        return False
    return filing.entered_by_id != user_id or bool(roles & REGISTRY_ROLES)


def may_complete(
    filing: Filing, user: User, roles: set[Role], parties: Sequence[CaseParty] = ()
) -> bool:
    """Return whether the account may change the filing's answers and documents: the account
    holding it, or, while the registry has returned it for completion, the claimant's
    authorised representative (who acts for the claimant until the authorisation ends)."""
    if holds_filing(filing, user.id, roles):
        return True
    if filing.status is not FilingStatus.RETURNED:
        return False
    actors = lifecycle.actors_for(filing, user, set(), list(parties))
    return lifecycle.Actor.REPRESENTATIVE in actors


def may_read_documents(
    filing: Filing, user: User, is_staff: bool, parties: Sequence[CaseParty] = ()
) -> bool:
    """The tribunal's staff, the filer and the case's parties (a claimant, an authorised
    representative, a respondent who joined) may read a filing's documents; nobody else."""
    if is_staff or (filing.filer_id == user.id and filing.entered_by_id != user.id):
        return True
    return bool(lifecycle.actors_for(filing, user, set(), list(parties)))


# -- case types, as a tribunal administrator edits them ----------------------------------------

# A new case type starts with nothing to ask; publishing needs at least one question or slot.
EMPTY_DEFINITION: dict[str, Any] = {
    "questions": [],
    "document_slots": [],
    "deadline": None,
    "fee": None,
}


class VersionNotEditableError(Exception):
    """Only a draft version can change: a published or retired one is what filings rely on."""


class DraftExistsError(Exception):
    """A case type has one draft at a time; ``draft`` is the one it has."""

    def __init__(self, draft: CaseTypeVersion | None) -> None:
        super().__init__("the case type already has a draft")
        self.draft = draft


class NothingToPublishError(Exception):
    """A draft with no question and no document slot would give claimants nothing to file."""


@dataclass
class CaseTypeSummary:
    case_type: CaseType
    # Every version, the newest first.
    versions: list[CaseTypeVersion]

    @property
    def latest(self) -> CaseTypeVersion:
        return self.versions[0]

    @property
    def draft(self) -> CaseTypeVersion | None:
        return next((v for v in self.versions if v.status is VersionStatus.DRAFT), None)


async def case_types_of(db: AsyncSession, tribunal_id: uuid.UUID) -> list[CaseTypeSummary]:
    """Return a tribunal's case types with all their versions, by code (one query)."""
    rows = await db.execute(
        select(CaseType, CaseTypeVersion)
        .join(CaseTypeVersion, CaseTypeVersion.case_type_id == CaseType.id)
        .where(CaseType.tribunal_id == tribunal_id)
        .order_by(CaseType.code, CaseTypeVersion.number.desc())
    )
    summaries: dict[uuid.UUID, CaseTypeSummary] = {}
    for case_type, version in rows:
        summaries.setdefault(case_type.id, CaseTypeSummary(case_type, [])).versions.append(version)
    return list(summaries.values())


async def case_type_code_taken(db: AsyncSession, tribunal_id: uuid.UUID, code: str) -> bool:
    """Return whether the tribunal already has a case type with this code."""
    found = await db.execute(
        select(CaseType.id).where(CaseType.tribunal_id == tribunal_id, CaseType.code == code)
    )
    return found.first() is not None


class CodeTakenError(Exception):
    """The tribunal already has a case type with this code."""


async def create_draft_case_type(
    db: AsyncSession, tribunal: Tribunal, code: str, texts: dict[str, str]
) -> CaseTypeVersion:
    """Create a case type whose version 1 is a draft asking nothing yet; return that draft.

    Raises CodeTakenError if the code is taken (also by a request at the same moment).
    """
    if await case_type_code_taken(db, tribunal.id, code):
        raise CodeTakenError
    try:
        async with db.begin_nested():
            return await create_case_type(
                db,
                tribunal,
                code=code,
                title_en=texts["title_en"],
                title_fr=texts["title_fr"],
                description_en=texts.get("description_en", ""),
                description_fr=texts.get("description_fr", ""),
                eligibility_en=texts.get("eligibility_en", ""),
                eligibility_fr=texts.get("eligibility_fr", ""),
                definition=copy_json(EMPTY_DEFINITION),
            )
    except IntegrityError:
        raise CodeTakenError from None


async def version_in(
    db: AsyncSession, tribunal_id: uuid.UUID, version_id: uuid.UUID, *, for_update: bool = False
) -> tuple[CaseType, CaseTypeVersion] | None:
    """Return one of the tribunal's case type versions with its case type, or None.

    Another tribunal's version is None (its page is a 404). ``for_update`` locks the
    version's row until the transaction ends (on PostgreSQL), so two administrators
    editing one draft at once take turns instead of overwriting each other's change.
    """
    query = (
        select(CaseType, CaseTypeVersion)
        .join(CaseTypeVersion, CaseTypeVersion.case_type_id == CaseType.id)
        .where(CaseTypeVersion.id == version_id, CaseTypeVersion.tribunal_id == tribunal_id)
    )
    if for_update:
        query = query.with_for_update(of=CaseTypeVersion)
    row = (await db.execute(query)).one_or_none()
    return (row[0], row[1]) if row else None


async def versions_of(db: AsyncSession, case_type: CaseType) -> list[CaseTypeVersion]:
    """Return a case type's versions, the newest first."""
    rows = await db.execute(
        select(CaseTypeVersion)
        .where(CaseTypeVersion.case_type_id == case_type.id)
        .order_by(CaseTypeVersion.number.desc())
    )
    return list(rows.scalars())


def update_draft_texts(version: CaseTypeVersion, texts: dict[str, str]) -> None:
    """Change a draft's title, description and eligibility guidance (``title_en``, ...)."""
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditableError
    for name in (
        "title_en",
        "title_fr",
        "description_en",
        "description_fr",
        "eligibility_en",
        "eligibility_fr",
    ):
        if name in texts:
            setattr(version, name, texts[name])


def update_draft_definition(version: CaseTypeVersion, definition: dict[str, Any]) -> None:
    """Replace a draft's definition, after checking it in full.

    Raises DefinitionError listing every problem (and changes nothing), or
    VersionNotEditableError if the version is not a draft.
    """
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditableError
    # Stored as parsed, so it reads back the same wherever it is used.
    version.definition = checked_definition(definition)


# The parts of a definition an administrator edits: what a claimant files, and the
# respondents' "response" section (read by filings.parties), each with its questions and
# document slots.
FILING = "filing"
RESPONSE = "response"


def checked_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """Return a definition as parsed in full, its response section included.

    Raises DefinitionError listing every problem of both parts; those of the response
    section say so.
    """
    problems: list[str] = []
    checked: dict[str, Any] = {}
    try:
        checked = parse_definition(definition).to_json()
    except DefinitionError as error:
        problems += error.problems
    section = definition.get("response")
    if section is not None:
        try:
            response = parse_response(section)
            checked["response"] = {
                **copy_json(section),
                "questions": [question.to_json() for question in response.questions],
                "document_slots": [slot.to_json() for slot in response.document_slots],
            }
        except DefinitionError as error:
            problems += error.problems
    if problems:
        raise DefinitionError(problems)
    return checked


def parse_response(section: object) -> CaseTypeDefinition:
    """Return a response section's questions and slots, read as
    ``filings.parties.response_definition`` reads them.

    Raises DefinitionError whose problems each say they are the response's.
    """
    if not isinstance(section, dict):
        raise DefinitionError(['In the response: the "response" section must be an object'])
    try:
        return parse_definition(
            {
                "questions": section.get("questions") or [],
                "document_slots": section.get("document_slots") or [],
            }
        )
    except DefinitionError as error:
        raise DefinitionError([f"In the response: {p}" for p in error.problems]) from None


async def new_draft_from(db: AsyncSession, version: CaseTypeVersion) -> CaseTypeVersion:
    """Copy a published (or retired) version into the case type's next version, a draft.

    Raises DraftExistsError if the case type has a draft already (also when another
    request made one at the same moment), VersionNotEditableError if ``version`` is
    itself the draft.
    """
    if version.status is VersionStatus.DRAFT:
        raise VersionNotEditableError
    versions = list(
        (
            await db.execute(
                select(CaseTypeVersion)
                .where(CaseTypeVersion.case_type_id == version.case_type_id)
                .order_by(CaseTypeVersion.number.desc())
            )
        ).scalars()
    )
    draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
    if draft is not None:
        raise DraftExistsError(draft)
    copy = CaseTypeVersion(
        tribunal_id=version.tribunal_id,
        case_type_id=version.case_type_id,
        number=versions[0].number + 1,
        status=VersionStatus.DRAFT,
        title_en=version.title_en,
        title_fr=version.title_fr,
        description_en=version.description_en,
        description_fr=version.description_fr,
        eligibility_en=version.eligibility_en,
        eligibility_fr=version.eligibility_fr,
        definition=copy_json(version.definition or EMPTY_DEFINITION),
    )
    try:
        # Two requests at once both pick number N+1; the unique (case type, number)
        # lets one in and turns the other away, with its savepoint rolled back.
        async with db.begin_nested():
            db.add(copy)
    except IntegrityError:
        raise DraftExistsError(None) from None
    return copy


def publishing_problems(version: CaseTypeVersion) -> list[str]:
    """Return why a draft cannot be published (its definition's problems), or [].

    Raises NothingToPublishError if it parses but has no question and no document slot.
    """
    try:
        definition = parse_definition(checked_definition(version.definition or EMPTY_DEFINITION))
    except DefinitionError as error:
        return error.problems
    if not definition.questions and not definition.document_slots:
        raise NothingToPublishError
    return []


async def publish_draft(db: AsyncSession, version: CaseTypeVersion) -> None:
    """Publish a draft; the version it replaces is retired, and keeps its filings.

    Raises VersionNotEditableError if it is not a draft, DefinitionError if its
    definition cannot be used, NothingToPublishError if it asks nothing.
    """
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditableError
    problems = publishing_problems(version)
    if problems:
        raise DefinitionError(problems)
    await publish_version(db, version)


def copy_json(data: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy of a JSON definition, so editing it leaves the stored one alone."""
    copied: dict[str, Any] = json.loads(json.dumps(data))
    return copied


def _lists_of(definition: dict[str, Any], part: str) -> dict[str, Any]:
    """Return the object holding a part's lists: the definition itself for the filing, its
    "response" section (made if missing, in a definition being changed) for the response."""
    if part == FILING:
        return definition
    section = definition.get("response")
    if not isinstance(section, dict):
        section = definition["response"] = {}
    return section


def with_item(
    definition: dict[str, Any],
    list_name: str,
    item: dict[str, Any],
    *,
    replacing: str | None,
    part: str = FILING,
) -> dict[str, Any]:
    """Return the definition with a question or slot added at the end of the part's list,
    or put in place of the one keyed ``replacing``. A filing question's new key is followed
    by the deadline rule."""
    changed = copy_json(definition)
    items: list[dict[str, Any]] = _lists_of(changed, part).setdefault(list_name, [])
    position = _position(items, replacing) if replacing is not None else None
    if position is None:
        items.append(item)
    else:
        items[position] = item
    deadline = changed.get("deadline")
    if (
        part == FILING
        and list_name == "questions"
        and replacing is not None
        and isinstance(deadline, dict)
        and deadline.get("from_question") == replacing
    ):
        deadline["from_question"] = item.get("key")
    return changed


def without_item(
    definition: dict[str, Any], list_name: str, key: str, *, part: str = FILING
) -> dict[str, Any]:
    """Return the definition without the part's question or slot with this key."""
    changed = copy_json(definition)
    lists = _lists_of(changed, part)
    lists[list_name] = [item for item in lists.get(list_name) or [] if item.get("key") != key]
    return changed


def with_item_moved(
    definition: dict[str, Any], list_name: str, key: str, offset: int, *, part: str = FILING
) -> dict[str, Any]:
    """Return the definition with a question or slot moved ``offset`` places (-1 is up)."""
    changed = copy_json(definition)
    items: list[dict[str, Any]] = _lists_of(changed, part).get(list_name) or []
    position = _position(items, key)
    if position is not None:
        target = min(max(position + offset, 0), len(items) - 1)
        items.insert(target, items.pop(position))
    return changed


def item_of(
    definition: dict[str, Any], list_name: str, key: str, *, part: str = FILING
) -> dict[str, Any] | None:
    """Return the part's question or slot with this key, or None if there is none."""
    lists = definition if part == FILING else definition.get("response")
    items = lists.get(list_name) if isinstance(lists, dict) else None
    if not isinstance(items, list):
        return None
    position = _position(items, key)
    return items[position] if position is not None else None


def with_deadline(
    definition: dict[str, Any], days: int | None, from_question: str | None
) -> dict[str, Any]:
    """Return the definition with a filing deadline (or none, when ``days`` is None)."""
    changed = copy_json(definition)
    changed["deadline"] = None if days is None else {"days": days, "from_question": from_question}
    return changed


def with_fee(definition: dict[str, Any], applies: bool) -> dict[str, Any]:
    changed = copy_json(definition)
    changed["fee"] = {"applies": applies}
    return changed


def _position(items: list[dict[str, Any]], key: str) -> int | None:
    return next((n for n, item in enumerate(items) if item.get("key") == key), None)
