"""Respondents and representatives: adding, inviting, authorising and withdrawing them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, cases, deadlines, lifecycle
from filings.models import CaseEvent, CaseParty, DueFrom, Filing, FilingStatus, PartyRole
from filings.parties.access_codes import issue_access_code
from tribunals.models import Tribunal
from tribune import audit, ratelimits
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.mail import Outbox
from tribune.settings import Settings

CODE_LIFETIME = timedelta(days=30)

# A respondent can be added while the registry is still dealing with the case.
RESPONDENT_STATES = frozenset(
    {FilingStatus.SUBMITTED, FilingStatus.ACCEPTED, FilingStatus.SCHEDULED}
)
# Representatives can be invited, authorised or withdrawn, and responses filed, while it is open.
OPEN_STATES = lifecycle.OPEN_STATES


# -- finding parties ------------------------------------------------------------------------


def claimant_of(parties: list[CaseParty]) -> CaseParty | None:
    return next((party for party in parties if party.role is PartyRole.CLAIMANT), None)


def own_party(filing: Filing, user: User, parties: list[CaseParty]) -> CaseParty | None:
    """Return the party `user` is on the case in person (the claimant, or a respondent who
    joined), whose representatives they manage; None for anyone else, a representative too:
    only the party itself authorises or withdraws who acts for it."""
    if access.Actor.CLAIMANT in access.actors_for(filing, user, set(), parties):
        return claimant_of(parties)
    return next(
        (
            party
            for party in parties
            if party.user_id == user.id and party.role is PartyRole.RESPONDENT
        ),
        None,
    )


def representatives_of(parties: list[CaseParty], represented: CaseParty) -> list[CaseParty]:
    """Return the representatives acting (or named, or withdrawn) for this party."""
    return [
        party
        for party in parties
        if party.role is PartyRole.REPRESENTATIVE and party.represents_id == represented.id
    ]


def representative_of(
    parties: list[CaseParty], represented: CaseParty, party_id: uuid.UUID
) -> CaseParty | None:
    """Return the representative with this id if they act (or acted) for `represented`:
    another party's representative is None."""
    return next(
        (party for party in representatives_of(parties, represented) if party.id == party_id),
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


def _case_url(outbox: Outbox, tribunal: Tribunal, filing: Filing) -> str:
    return outbox.url("filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id)


def _join_url(outbox: Outbox, tribunal: Tribunal) -> str:
    return outbox.url("filings:parties:join", tribunal=tribunal.slug)


# -- respondents ----------------------------------------------------------------------------


class CaseClosedError(Exception):
    """The case is not in a state where this can be done (answer 409)."""


async def add_respondent(
    db: AsyncSession,
    outbox: Outbox,
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
    settings: Settings,
) -> CaseParty:
    """Add a respondent, set the response deadline, notify the parties, invite the respondent.

    Raises CaseClosedError if the case is not submitted, accepted or scheduled, and
    TooManyMessagesError if the address or the clerk had too many invitations this hour.
    """
    if filing.status not in RESPONDENT_STATES:
        raise CaseClosedError
    await _allow_invitation(db, settings, email, staff)
    now = utcnow()
    filing.due_on = deadlines.due_after(tribunal, tribunal.response_business_days, now)
    filing.due_from = DueFrom.RESPONDENT
    filing.due_for = "response"
    event = cases.add_event(
        db,
        filing,
        "respondent_added",
        actor_id=staff.id,
        occurred_at=now,
        role=staff_role,
        due_on=filing.due_on.isoformat(),
    )
    # The parties already on the case hear of it; the respondent gets their invitation.
    await lifecycle.notify_parties(db, outbox, tribunal, filing, event)
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
    filing.search_text = cases.search_text_of(filing, parties)
    audit.record(
        db,
        AuditAction.CASE_RESPONDENT_ADDED,
        actor_id=staff.id,
        actor_role=staff_role,
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    outbox.queue(
        db,
        to=email,
        language=language,
        template="respondent_invitation",
        context={
            "name": contact_name if is_organisation and contact_name else name,
            "tribunal": tribunal,
            "reference": filing.reference,
            "code": code,
            "join_url": _join_url(outbox, tribunal),
            "due_on": filing.due_on,
            "expires_on": deadlines.today_in(tribunal, now + CODE_LIFETIME),
        },
        sensitive=True,
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )
    return party


# -- representatives ------------------------------------------------------------------------


async def _allow_invitation(db: AsyncSession, settings: Settings, email: str, sender: User) -> None:
    """Count an invitation (an access code) to `email` sent by `sender`, or raise
    TooManyMessagesError if either had their share this hour."""
    await ratelimits.allow_message(
        db,
        settings.secret_key,
        kind=ratelimits.MessageKind.PARTY_INVITATION,
        recipient=email,
        sender=ratelimits.Sender.person(sender.id),
    )


async def invite_representative(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    represented: CaseParty,
    party: CaseParty,
    *,
    actor: User,
    settings: Settings,
) -> None:
    """Give the representative a new access code and email it to them (again).

    Raises TooManyMessagesError if the address or `actor` had too many invitations this hour.
    """
    await _allow_invitation(db, settings, party.email, actor)
    _send_representative_invitation(db, outbox, tribunal, filing, represented, party, actor)


def _send_representative_invitation(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    represented: CaseParty,
    party: CaseParty,
    actor: User,
) -> None:
    now = utcnow()
    code = issue_access_code(party, CODE_LIFETIME, now)
    audit.record(
        db,
        AuditAction.CASE_REPRESENTATIVE_INVITED,
        actor_id=actor.id,
        actor_role=represented.role.value,
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    outbox.queue(
        db,
        to=party.email,
        language=party.language,
        template="representative_invitation",
        context={
            "name": party.name,
            "claimant": represented.name,  # whoever they act for, claimant or respondent
            "tribunal": tribunal,
            "reference": filing.reference,
            "code": code,
            "join_url": _join_url(outbox, tribunal),
            "expires_on": deadlines.today_in(tribunal, now + CODE_LIFETIME),
        },
        sensitive=True,
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )


def _tell_represented_party(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    represented: CaseParty,
    representative: CaseParty,
    template: str,
) -> None:
    """Tell the party, in their language, of a change to who acts for them: a record of it,
    and a warning if it was not them."""
    if not represented.email:
        return
    outbox.queue(
        db,
        to=represented.email,
        language=represented.language,
        template=template,
        context={
            "name": represented.name,
            "representative": representative.name,
            "party": represented.name,
            "to_representative": False,
            "tribunal": tribunal,
            "reference": filing.reference,
            "url": _case_url(outbox, tribunal, filing),
        },
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )


async def authorise_representative(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    represented: CaseParty,
    *,
    user: User,
    name: str,
    firm: str,
    licence_number: str,
    email: str,
    settings: Settings,
) -> CaseParty:
    """Record a representative the party (claimant or respondent) authorises now, invite
    them, and tell the party it was done.

    Raises TooManyMessagesError if the address or `user` had too many invitations this hour.
    """
    await _allow_invitation(db, settings, email, user)
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
        # Written to in the language of the party they act for, the only one we know.
        language=represented.language,
        represents_id=represented.id,
        authorised_at=now,
        added_by_id=user.id,
    )
    db.add(party)
    parties = await lifecycle.parties_of(db, filing)
    filing.search_text = cases.search_text_of(filing, parties)
    _record_representative_change(
        db, tribunal, filing, represented, party, "representative_authorised", user, now
    )
    # The representative hears of it through their invitation, which carries the code.
    _send_representative_invitation(db, outbox, tribunal, filing, represented, party, user)
    _tell_represented_party(
        db,
        outbox,
        tribunal,
        filing,
        represented,
        party,
        "representative_authorised",
    )
    return party


def _record_representative_change(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    represented: CaseParty,
    party: CaseParty,
    kind: str,
    user: User,
    now: datetime,
) -> CaseEvent:
    """Put the change on the case's timeline (`kind`: representative_authorised or
    _withdrawn) and in the audit log, as done by the represented party."""
    event = cases.add_event(
        db, filing, kind, actor_id=user.id, occurred_at=now, role=represented.role.value
    )
    audit.record(
        db,
        AuditAction(f"case.{kind}"),
        actor_id=user.id,
        actor_role=represented.role.value,
        tribunal_id=tribunal.id,
        subject_type="case_party",
        subject_id=party.id,
        case_id=filing.id,
    )
    return event


async def withdraw_representative(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    represented: CaseParty,
    party: CaseParty,
    *,
    user: User,
) -> CaseEvent | None:
    """End the representative's authorisation: from now on they no longer act on the case;
    they and the party they acted for are told. Return None (nothing changed) if it was
    withdrawn already."""
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
    event = _record_representative_change(
        db, tribunal, filing, represented, party, "representative_withdrawn", user, now
    )
    if party.email:
        outbox.queue(
            db,
            to=party.email,
            language=party.language,
            template="representative_withdrawn",
            context={
                "name": party.name,
                "representative": party.name,
                "party": represented.name,
                "to_representative": True,
                "tribunal": tribunal,
                "reference": filing.reference,
                "url": _case_url(outbox, tribunal, filing),
            },
            tribunal_id=tribunal.id,
            case_id=filing.id,
        )
    _tell_represented_party(
        db,
        outbox,
        tribunal,
        filing,
        represented,
        party,
        "representative_withdrawn",
    )
    return event
