"""Respondents and representatives: adding them to a case, inviting them with a one-time
access code, letting them join, withdrawing a representative, and the respondent's response.

An access code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U),
shown grouped as ABCD-EFGH-JKLM. Only its SHA-256 is kept, on the party, with an expiry; it is
found by that hash (a unique column) and cleared once used. Wrong codes are counted in the
audit log: after too many in an hour, a person cannot try again until the hour has passed.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import deadlines, lifecycle, services
from filings.access_codes import (
    CODE_LENGTH,
    hash_access_code,
    issue_access_code,
    normalise_access_code,
)
from filings.models import (
    CaseEvent,
    CaseParty,
    CaseResponse,
    CaseTypeVersion,
    DueFrom,
    Filing,
    FilingStatus,
    PartyRole,
)
from filings.questions import (
    CaseTypeDefinition,
    DefinitionError,
    display_answer,
    parse_definition,
)
from tribunals.models import Tribunal
from tribune import audit, mail
from tribune.audit import AuditEvent
from tribune.db import utcnow
from tribune.settings import Settings

CODE_LIFETIME = timedelta(days=30)
MAX_FAILED_JOINS_PER_HOUR = 10
JOIN_FAILED_ACTION = "case.join_failed"

# A respondent can be added while the registry is still dealing with the case.
RESPONDENT_STATES = frozenset(
    {FilingStatus.SUBMITTED, FilingStatus.ACCEPTED, FilingStatus.SCHEDULED}
)
# Representatives can be invited, authorised or withdrawn, and responses filed, while it is open.
OPEN_STATES = lifecycle.OPEN_STATES


# -- access codes ---------------------------------------------------------------------------


async def failed_joins_last_hour(db: AsyncSession, user_id: uuid.UUID) -> int:
    since = utcnow() - timedelta(hours=1)
    count = await db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == JOIN_FAILED_ACTION,
            AuditEvent.actor_id == user_id,
            AuditEvent.occurred_at >= since,
        )
    )
    return int(count or 0)


async def party_for_code(
    db: AsyncSession, tribunal: Tribunal, reference: str, code: str
) -> tuple[Filing, CaseParty] | None:
    """Return the case and party this reference and code open, or None (whatever is wrong)."""
    reference = reference.strip().upper()
    digest = hash_access_code(code)
    if not reference or len(normalise_access_code(code)) != CODE_LENGTH:
        return None
    row = (
        await db.execute(
            select(Filing, CaseParty)
            .join(CaseParty, CaseParty.filing_id == Filing.id)
            .where(
                CaseParty.access_code_hash == digest,
                CaseParty.tribunal_id == tribunal.id,
                # A claimant's code (a paper filing) is claimed at /claim: filings.paper.
                CaseParty.role.in_([PartyRole.RESPONDENT, PartyRole.REPRESENTATIVE]),
                Filing.tribunal_id == tribunal.id,
            )
        )
    ).first()
    if row is None:
        return None
    filing, party = row
    stored = party.access_code_hash or ""
    if not hmac.compare_digest(stored, digest):
        return None
    if not hmac.compare_digest((filing.reference or "").upper().encode(), reference.encode()):
        return None
    expires = party.access_code_expires_at
    if expires is None or expires <= utcnow():
        return None
    if not filing.status.is_case:
        return None
    return filing, party


def record_failed_join(db: AsyncSession, tribunal: Tribunal, user: User) -> None:
    audit.record(
        db, JOIN_FAILED_ACTION, actor_id=user.id, actor_role="visitor", tribunal_id=tribunal.id
    )


async def join(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, party: CaseParty, user: User
) -> bool:
    """Make `user` the account acting as `party`; the code is used up. Return False (nothing
    changed) if someone else used the code in the meantime."""
    now = utcnow()
    used = await db.execute(
        update(CaseParty)
        .where(CaseParty.id == party.id, CaseParty.access_code_hash == party.access_code_hash)
        .values(user_id=user.id, joined_at=now, access_code_hash=None, access_code_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    party.user_id = user.id
    party.joined_at = now
    party.access_code_hash = None
    party.access_code_expires_at = None
    audit.record(
        db,
        "case.joined",
        actor_id=user.id,
        actor_role=party.role.value,
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    return True


# -- finding parties ------------------------------------------------------------------------


async def case_in(db: AsyncSession, tribunal: Tribunal, filing_id: uuid.UUID) -> Filing | None:
    """Return the tribunal's case (never a draft) with this id, or None."""
    filing = await db.get(Filing, filing_id)
    if filing is None or filing.tribunal_id != tribunal.id or not filing.status.is_case:
        return None
    return filing


def claimant_of(parties: list[CaseParty]) -> CaseParty | None:
    return next((party for party in parties if party.role is PartyRole.CLAIMANT), None)


def is_claimant(filing: Filing, user: User, parties: list[CaseParty]) -> bool:
    return lifecycle.Actor.CLAIMANT in lifecycle.actors_for(filing, user, set(), parties)


def claimant_representative(parties: list[CaseParty], party_id: uuid.UUID) -> CaseParty | None:
    """Return the representative with this id acting (or named) for the case's claimant."""
    claimants = {party.id for party in parties if party.role is PartyRole.CLAIMANT}
    return next(
        (
            party
            for party in parties
            if party.id == party_id
            and party.role is PartyRole.REPRESENTATIVE
            and party.represents_id in claimants
        ),
        None,
    )


def responding_party(user: User, parties: list[CaseParty]) -> CaseParty | None:
    """Return the respondent `user` answers for: themselves once joined, or the respondent
    they are an authorised representative of; None if they are neither."""
    by_id = {party.id: party for party in parties}
    for party in parties:
        if party.user_id != user.id:
            continue
        if party.role is PartyRole.RESPONDENT:
            return party
        if party.role is PartyRole.REPRESENTATIVE and party.is_authorised:
            represented = by_id.get(party.represents_id) if party.represents_id else None
            if represented is not None and represented.role is PartyRole.RESPONDENT:
                return represented
    return None


def _case_url(settings: Settings, tribunal: Tribunal, filing: Filing) -> str:
    return f"{settings.base_url}/{tribunal.slug}/cases/{filing.id}"


def _join_url(settings: Settings, tribunal: Tribunal) -> str:
    return f"{settings.base_url}/{tribunal.slug}/join"


# -- respondents ----------------------------------------------------------------------------


class CaseClosedError(Exception):
    """The case is not in a state where this can be done (answer 409)."""


async def add_respondent(
    db: AsyncSession,
    environment: Environment,
    settings: Settings,
    tribunal: Tribunal,
    filing: Filing,
    *,
    staff: User,
    staff_role: str,
    is_organisation: bool,
    name: str,
    contact_name: str,
    email: str,
    language: str,
) -> CaseParty:
    """Add a respondent, set the response deadline, notify the parties, invite the respondent.

    Raises CaseClosedError if the case is not submitted, accepted or scheduled.
    """
    if filing.status not in RESPONDENT_STATES:
        raise CaseClosedError
    now = utcnow()
    filing.due_on = deadlines.due_after(tribunal, tribunal.response_business_days, now)
    filing.due_from = DueFrom.RESPONDENT
    filing.due_for = "response"
    event = services.add_event(
        db,
        filing,
        "respondent_added",
        actor_id=staff.id,
        occurred_at=now,
        role=staff_role,
        due_on=filing.due_on.isoformat(),
    )
    # The parties already on the case hear of it; the respondent gets their invitation.
    await lifecycle.notify_parties(db, environment, settings, tribunal, filing, event)
    party = CaseParty(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        role=PartyRole.RESPONDENT,
        is_organisation=is_organisation,
        name=name,
        organisation=contact_name if is_organisation else "",
        email=email,
        language=language,
        added_by_id=staff.id,
    )
    code = issue_access_code(party, CODE_LIFETIME, now)
    db.add(party)
    parties = await lifecycle.parties_of(db, filing)
    filing.search_text = services.search_text_of(filing, parties)
    audit.record(
        db,
        "case.respondent_added",
        actor_id=staff.id,
        actor_role=staff_role,
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    mail.queue_message(
        db,
        environment,
        to=email,
        language=language,
        template="respondent_invitation",
        context={
            "name": contact_name if is_organisation and contact_name else name,
            "tribunal": tribunal,
            "reference": filing.reference,
            "code": code,
            "join_url": _join_url(settings, tribunal),
            "due_on": filing.due_on,
            "expires_on": deadlines.today_in(tribunal, now + CODE_LIFETIME),
        },
        sensitive=True,
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )
    return party


# -- representatives ------------------------------------------------------------------------


def invite_representative(
    db: AsyncSession,
    environment: Environment,
    settings: Settings,
    tribunal: Tribunal,
    filing: Filing,
    party: CaseParty,
    *,
    actor: User | None = None,
    claimant_name: str = "",
) -> None:
    """Give the representative a new access code and email it to them (again)."""
    now = utcnow()
    code = issue_access_code(party, CODE_LIFETIME, now)
    audit.record(
        db,
        "case.representative_invited",
        actor_id=actor.id if actor else None,
        actor_role="claimant",
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    mail.queue_message(
        db,
        environment,
        to=party.email,
        language=party.language,
        template="representative_invitation",
        context={
            "name": party.name,
            "claimant": claimant_name,
            "tribunal": tribunal,
            "reference": filing.reference,
            "code": code,
            "join_url": _join_url(settings, tribunal),
            "expires_on": deadlines.today_in(tribunal, now + CODE_LIFETIME),
        },
        sensitive=True,
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )


async def authorise_representative(
    db: AsyncSession,
    environment: Environment,
    settings: Settings,
    tribunal: Tribunal,
    filing: Filing,
    claimant: CaseParty,
    *,
    user: User,
    name: str,
    firm: str,
    licence_number: str,
    email: str,
) -> CaseParty:
    """Record a representative the claimant authorises now, and invite them."""
    now = utcnow()
    party = CaseParty(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        role=PartyRole.REPRESENTATIVE,
        name=name,
        organisation=firm,
        licence_number=licence_number,
        email=email,
        language=filing.language,
        represents_id=claimant.id,
        authorised_at=now,
        added_by_id=user.id,
    )
    db.add(party)
    parties = await lifecycle.parties_of(db, filing)
    filing.search_text = services.search_text_of(filing, parties)
    services.add_event(db, filing, "representative_authorised", actor_id=user.id, occurred_at=now)
    audit.record(
        db,
        "case.representative_authorised",
        actor_id=user.id,
        actor_role="claimant",
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    invite_representative(
        db, environment, settings, tribunal, filing, party, actor=user, claimant_name=claimant.name
    )
    return party


async def withdraw_representative(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, party: CaseParty, *, user: User
) -> CaseEvent | None:
    """End the representative's authorisation: from now on they no longer act on the case.
    Return None (nothing changed) if it was withdrawn already."""
    now = utcnow()
    withdrawn = await db.execute(
        update(CaseParty)
        .where(CaseParty.id == party.id, CaseParty.authorisation_withdrawn_at.is_(None))
        .values(authorisation_withdrawn_at=now, access_code_hash=None, access_code_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if withdrawn.rowcount != 1:  # type: ignore[attr-defined]
        return None  # withdrawn already (a second click)
    party.authorisation_withdrawn_at = now
    party.access_code_hash = None
    party.access_code_expires_at = None
    event = services.add_event(
        db, filing, "representative_withdrawn", actor_id=user.id, occurred_at=now
    )
    audit.record(
        db,
        "case.representative_withdrawn",
        actor_id=user.id,
        actor_role="claimant",
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    return event


# -- responses ------------------------------------------------------------------------------


def response_definition(version: CaseTypeVersion) -> CaseTypeDefinition:
    """Return the case type's response questions and slots (none if it has no such section)."""
    section = (version.definition or {}).get("response") or {}
    if not isinstance(section, dict):
        return CaseTypeDefinition()
    try:
        return parse_definition(
            {
                "questions": section.get("questions") or [],
                "document_slots": section.get("document_slots") or [],
            }
        )
    except DefinitionError:
        return CaseTypeDefinition()


async def responses_of(db: AsyncSession, filing: Filing) -> dict[uuid.UUID, CaseResponse]:
    """Return the case's filed responses by respondent party id (one query)."""
    rows = await db.execute(
        select(CaseResponse).where(
            CaseResponse.filing_id == filing.id, CaseResponse.tribunal_id == filing.tribunal_id
        )
    )
    return {response.party_id: response for response in rows.scalars()}


def response_rows(version: CaseTypeVersion, response: CaseResponse) -> list[tuple[str, str]]:
    """Return a response's answers as (question, answer) pairs in the current language."""
    answers = response.answers or {}
    return [
        (question.label.current(), display_answer(question, answers[question.key]))
        for question in response_definition(version).questions
        if question.key in answers
    ]


async def response_of(db: AsyncSession, party: CaseParty) -> CaseResponse | None:
    row = await db.execute(select(CaseResponse).where(CaseResponse.party_id == party.id))
    return row.scalar_one_or_none()


class AlreadyRespondedError(Exception):
    """The respondent filed their response already (answer 409)."""


async def submit_response(
    db: AsyncSession,
    environment: Environment,
    settings: Settings,
    tribunal: Tribunal,
    filing: Filing,
    respondent: CaseParty,
    answers: dict[str, Any],
    *,
    user: User,
    acting_role: str,
) -> CaseResponse:
    """Save the response once; clear the response deadline; tell the parties.

    Raises AlreadyRespondedError (nothing changed) for a second response,
    CaseClosedError if the case is no longer open.
    """
    if filing.status not in OPEN_STATES:
        raise CaseClosedError
    if await response_of(db, respondent) is not None:
        raise AlreadyRespondedError
    now = utcnow()
    response = CaseResponse(
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        party_id=respondent.id,
        answers=answers,
        submitted_at=now,
    )
    try:
        async with db.begin_nested():
            db.add(response)
            await db.flush()
    except IntegrityError:
        raise AlreadyRespondedError from None
    if filing.due_for == "response":
        filing.due_on = None
        filing.due_from = None
        filing.due_for = None
    event = services.add_event(
        db, filing, "response_submitted", actor_id=user.id, occurred_at=now, role=acting_role
    )
    audit.record(
        db,
        "case.response_submitted",
        actor_id=user.id,
        actor_role=acting_role,
        tribunal_id=tribunal.id,
        subject_type="case_response",
        subject_id=response.id,
        case_id=filing.id,
    )
    await lifecycle.notify_parties(db, environment, settings, tribunal, filing, event)
    return response
