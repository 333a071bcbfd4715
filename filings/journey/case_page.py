"""The case page as its parties see it: status, what is due, the public timeline, the answers,
documents, responses, and the moves and changes they may make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, cases, lifecycle
from filings.documents.services import documents_of, kept_from_respondents
from filings.journey.summary import answer_sections
from filings.models import CaseEvent, CaseParty, CaseTypeVersion, Document, Filing, FilingStatus
from filings.parties import responses
from filings.parties import services as party_services
from tribunals.models import Role, Tribunal
from tribune.views import PageView


@dataclass(frozen=True)
class PartyCaseView(PageView):
    filing: Filing
    version: CaseTypeVersion
    status_label: str
    sections: list[dict[str, Any]]
    events: list[CaseEvent]
    documents: list[Document]
    transitions: list[lifecycle.Transition]
    representatives: list[CaseParty]
    may_manage_representatives: bool
    may_respond: bool
    responses: list[responses.FiledResponse]
    show_access: bool
    editable: bool  # the answers and documents may change: returned for completion
    may_add_documents: bool
    return_reason: str
    acting_role: str  # the capacity the page is read in, for the audit log
    parties: list[CaseParty]
    actors: frozenset[access.Actor]  # the party capacities the page is read in


async def party_case_view(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    version: CaseTypeVersion,
    user: User,
    roles: set[Role],
) -> PartyCaseView | None:
    """Return the case as `user` sees it as one of its parties or as the account holding it,
    or None if they are neither (the page is then a 404)."""
    parties = await lifecycle.parties_of(db, filing)
    actors = access.actors_for(filing, user, set(), parties) - access.STAFF_ACTORS
    holds = access.holds_filing(filing, user.id, roles)
    if not actors and not holds:
        return None
    documents = await documents_of(db, filing)
    if not holds and not access.on_claimant_side(filing, user, parties):
        documents = [d for d in documents if not kept_from_respondents(d)]
    events = await cases.events_of(db, filing, parties_only=True)
    return_event = next((e for e in reversed(events) if e.kind == "returned"), None)
    # Each party (claimant or respondent) manages who represents them.
    own_party = party_services.own_party(filing, user, parties)
    may_complete = filing.status is FilingStatus.RETURNED and access.may_complete(
        filing, user, roles, parties
    )
    responding = party_services.responding_party(user, parties)
    may_respond = responding is not None and responses.may_change_response(
        filing, await responses.response_of(db, responding)
    )
    acting = access.acting_capacity(actors & access.PARTY_ACTORS)
    filed = await responses.filed_responses(db, filing, version, parties)
    return PartyCaseView(
        filing=filing,
        version=version,
        status_label=str(lifecycle.STATUS_LABELS[filing.status]),
        sections=answer_sections(filing, version, documents)[:-1],
        events=events,
        documents=documents,
        transitions=lifecycle.allowed_transitions(filing, actors, lifecycle.Audience.PARTIES),
        representatives=party_services.representatives_of(parties, own_party) if own_party else [],
        may_manage_representatives=own_party is not None and filing.status in lifecycle.OPEN_STATES,
        may_respond=may_respond,
        responses=list(filed.values()),
        show_access=tribunal.show_access_to_parties and holds,
        editable=may_complete,
        may_add_documents=holds or may_complete,
        return_reason=return_event.details.get("reason", "") if return_event else "",
        acting_role=acting.value if acting else "filer",
        parties=parties,
        actors=actors,
    )
