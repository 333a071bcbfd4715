"""Who may act on a case, and in which capacity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from accounts.models import User
from filings import lifecycle
from filings.models import CaseParty, Filing, FilingStatus
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


def registry_role(roles: set[Role]) -> str:
    """Return the capacity registry work is done in: clerk, or administrator when not a clerk."""
    return Role.ADMIN.value if Role.ADMIN in roles and Role.CLERK not in roles else Role.CLERK.value
