"""A respondent's response: its questions and documents, saving and filing it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, cases, lifecycle
from filings.casetypes import services as casetype_services
from filings.casetypes.answers import display_answer
from filings.casetypes.definitions import CaseTypeDefinition, DocumentSlot
from filings.documents import services as documents_services
from filings.models import CaseParty, CaseResponse, CaseTypeVersion, Document, Filing
from filings.parties.services import OPEN_STATES, CaseClosedError, responding_party
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.mail import Outbox

# -- responses ------------------------------------------------------------------------------


async def responses_of(db: AsyncSession, filing: Filing) -> dict[uuid.UUID, CaseResponse]:
    """Return the case's filed responses (not drafts) by respondent party id (one query)."""
    rows = await db.execute(
        select(CaseResponse).where(
            CaseResponse.filing_id == filing.id,
            CaseResponse.tribunal_id == filing.tribunal_id,
            CaseResponse.submitted_at.is_not(None),
        )
    )
    return {response.party_id: response for response in rows.scalars()}


def response_rows(version: CaseTypeVersion, response: CaseResponse) -> list[tuple[str, str]]:
    """Return a response's answers as (question, answer) pairs in the current language."""
    answers = response.answers or {}
    return [
        (question.label.current(), display_answer(question, answers[question.key]))
        for question in casetype_services.response_definition_of(version).questions
        if question.key in answers
    ]


@dataclass(frozen=True)
class FiledResponse:
    """A filed response as the case pages show it."""

    party: CaseParty
    response: CaseResponse
    rows: list[tuple[str, str]]
    documents: list[Document]


async def filed_responses(
    db: AsyncSession, filing: Filing, version: CaseTypeVersion, parties: list[CaseParty]
) -> dict[uuid.UUID, FiledResponse]:
    """Return the case's filed responses with their answers and documents, by party id
    (two queries); drafts stay with their respondent."""
    responses = await responses_of(db, filing)
    documents: dict[uuid.UUID, list[Document]] = {}
    if responses:
        rows = await db.execute(
            select(Document)
            .where(
                Document.filing_id == filing.id,
                Document.response_id.in_([r.id for r in responses.values()]),
            )
            .order_by(Document.created_at)
        )
        for document in rows.scalars():
            documents.setdefault(document.response_id, []).append(document)  # type: ignore[arg-type]
    by_id = {party.id: party for party in parties}
    return {
        party_id: FiledResponse(
            by_id[party_id],
            response,
            response_rows(version, response),
            documents.get(response.id, []),
        )
        for party_id, response in responses.items()
        if party_id in by_id
    }


async def response_of(db: AsyncSession, party: CaseParty) -> CaseResponse | None:
    """Return the respondent's response, filed or still a draft, or None."""
    row = await db.execute(select(CaseResponse).where(CaseResponse.party_id == party.id))
    return row.scalar_one_or_none()


class AlreadyRespondedError(Exception):
    """The respondent filed their response already (answer 409)."""


class MissingDocumentsError(Exception):
    """Required response documents are missing; `slots` lists their slots."""

    def __init__(self, slots: list[DocumentSlot]) -> None:
        super().__init__(", ".join(slot.key for slot in slots))
        self.slots = slots


async def save_response_answers(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    respondent: CaseParty,
    answers: dict[str, Any],
) -> CaseResponse:
    """Keep the answers on the respondent's draft response, starting one if need be.

    Raises AlreadyRespondedError (nothing changed) once the response is filed,
    CaseClosedError if the case is no longer open.
    """
    if filing.status not in OPEN_STATES:
        raise CaseClosedError
    response = await response_of(db, respondent)
    if response is None:
        response = CaseResponse(
            id=uuid.uuid4(),
            tribunal_id=tribunal.id,
            filing_id=filing.id,
            party_id=respondent.id,
            answers=answers,
        )
        try:
            async with db.begin_nested():
                db.add(response)
                await db.flush()
        except IntegrityError:
            # Started at the same moment in another tab: answer on that one.
            response = await response_of(db, respondent)
            if response is None:
                raise
    if response.submitted_at is not None:
        raise AlreadyRespondedError
    response.answers = answers
    return response


def missing_response_slots(
    definition: CaseTypeDefinition, documents: list[Document]
) -> list[DocumentSlot]:
    """Return the required slots that hold no document yet."""
    given = {document.slot for document in documents}
    return [slot for slot in definition.document_slots if slot.required and slot.key not in given]


def may_change_response(filing: Filing, response: CaseResponse | None) -> bool:
    """Whether the respondent may still change their draft (answers and documents)."""
    return filing.status in OPEN_STATES and (response is None or response.submitted_at is None)


def may_read_response_documents(
    filing: Filing,
    response: CaseResponse,
    user: User,
    *,
    is_staff: bool,
    parties: list[CaseParty],
) -> bool:
    """The respondent (or their representative) reads their response's documents at any time;
    the tribunal's staff and the case's other parties once the response is filed."""
    responding = responding_party(user, parties)
    if responding is not None and responding.id == response.party_id:
        return True
    if response.submitted_at is None:
        return False
    return access.may_read_documents(filing, user, is_staff=is_staff, parties=parties)


async def submit_response(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    version: CaseTypeVersion,
    response: CaseResponse,
    *,
    user: User,
    acting_role: str,
) -> CaseResponse:
    """File the draft response once; clear the response deadline; tell the parties.

    Raises AlreadyRespondedError (nothing changed) for a second response,
    CaseClosedError if the case is no longer open, MissingDocumentsError while a required
    document slot is empty.
    """
    if filing.status not in OPEN_STATES:
        raise CaseClosedError
    if response.submitted_at is not None:
        raise AlreadyRespondedError
    documents = await documents_services.documents_of(db, filing, response_id=response.id)
    missing = missing_response_slots(casetype_services.response_definition_of(version), documents)
    if missing:
        raise MissingDocumentsError(missing)
    now = utcnow()
    # Conditional, so that two clicks (or two tabs) file it once.
    filed = await db.execute(
        update(CaseResponse)
        .where(CaseResponse.id == response.id, CaseResponse.submitted_at.is_(None))
        .values(submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if filed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyRespondedError
    response.submitted_at = now
    if filing.due_for == "response":
        filing.due_on = None
        filing.due_from = None
        filing.due_for = None
    event = cases.add_event(
        db, filing, "response_submitted", actor_id=user.id, occurred_at=now, role=acting_role
    )
    audit.record(
        db,
        AuditAction.CASE_RESPONSE_SUBMITTED,
        actor_id=user.id,
        actor_role=acting_role,
        tribunal_id=tribunal.id,
        subject_type="case_response",
        subject_id=response.id,
        case_id=filing.id,
    )
    await lifecycle.notify_parties(db, outbox, tribunal, filing, event)
    return response
