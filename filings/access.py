"""Who may act on a case, and in which capacity."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence

from accounts.models import User
from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from tribunals.models import Role

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
    actors = actors_for(filing, user, set(), list(parties))
    return Actor.REPRESENTATIVE in actors


def may_read_documents(
    filing: Filing, user: User, is_staff: bool, parties: Sequence[CaseParty] = ()
) -> bool:
    """The tribunal's staff, the filer and the case's parties (a claimant, an authorised
    representative, a respondent who joined) may read a filing's documents; nobody else."""
    if is_staff or (filing.filer_id == user.id and filing.entered_by_id != user.id):
        return True
    return bool(actors_for(filing, user, set(), list(parties)))


def on_claimant_side(filing: Filing, user: User, parties: Sequence[CaseParty] = ()) -> bool:
    """Return whether `user` reads the case for the claimant: the filer, the claimant, or the
    claimant's authorised representative."""
    if filing.filer_id == user.id and filing.entered_by_id != user.id:
        return True
    return bool(actors_for(filing, user, set(), list(parties)) & CLAIMANT_SIDE)


def registry_role(roles: set[Role]) -> str:
    """Return the capacity registry work is done in: clerk, or administrator when not a clerk."""
    return Role.ADMIN.value if Role.ADMIN in roles and Role.CLERK not in roles else Role.CLERK.value


class Actor(enum.Enum):
    """The capacity someone acts in on a case."""

    CLAIMANT = "claimant"
    REPRESENTATIVE = "representative"  # authorised by the claimant
    RESPONDENT = "respondent"
    CLERK = "clerk"
    ADJUDICATOR = "adjudicator"
    ADMIN = "admin"


STAFF_ACTORS = frozenset({Actor.CLERK, Actor.ADJUDICATOR, Actor.ADMIN})
CLAIMANT_SIDE = frozenset({Actor.CLAIMANT, Actor.REPRESENTATIVE})
ROLE_ACTORS = {
    Role.CLERK: Actor.CLERK,
    Role.ADJUDICATOR: Actor.ADJUDICATOR,
    Role.ADMIN: Actor.ADMIN,
}


def actors_for(
    filing: Filing, user: User | None, roles: set[Role], parties: list[CaseParty]
) -> frozenset[Actor]:
    """Return every capacity in which `user` may act on the case."""
    found = {ROLE_ACTORS[role] for role in roles if role in ROLE_ACTORS}
    if user is None:
        return frozenset(found)
    if filing.filer_id == user.id and filing.entered_by_id != user.id:
        found.add(Actor.CLAIMANT)
    by_id = {party.id: party for party in parties}
    for party in parties:
        if party.user_id != user.id:
            continue
        if party.role is PartyRole.CLAIMANT:
            found.add(Actor.CLAIMANT)
        elif party.role is PartyRole.RESPONDENT:
            found.add(Actor.RESPONDENT)
        elif party.is_authorised and party.represents_id in by_id:
            represented = by_id[party.represents_id]
            if represented.role is PartyRole.CLAIMANT:
                found.add(Actor.REPRESENTATIVE)
            elif represented.role is PartyRole.RESPONDENT:
                found.add(Actor.RESPONDENT)
    return frozenset(found)


PARTY_ACTORS = frozenset({Actor.CLAIMANT, Actor.REPRESENTATIVE, Actor.RESPONDENT})
# From the most specific capacity to the least: the one an act is recorded in.
_CAPACITY_ORDER = (
    Actor.ADJUDICATOR,
    Actor.CLERK,
    Actor.ADMIN,
    Actor.CLAIMANT,
    Actor.REPRESENTATIVE,
    Actor.RESPONDENT,
)


def acting_capacity(actors: frozenset[Actor]) -> Actor | None:
    """Return the most specific capacity among `actors` (an adjudicator before a clerk, a
    claimant before their representative), the one an act is recorded in; or None."""
    return next((actor for actor in _CAPACITY_ORDER if actor in actors), None)
