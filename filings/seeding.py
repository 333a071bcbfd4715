"""Seeding a submitted case: the one routine behind the demo data, the test factories and
the docket benchmark.

`build_submitted_case` makes the rows of a case as submission leaves them, then moved on
to a later status — the filing with its reference, received date and status, its parties
(`filing_parties`, as on submission), its search text (`search_text_of`) and its timeline
(`new_event`: `submitted`, then the later events given) — as new, unsaved ORM objects
that touch no session. `seed_submitted_case` adds them to a session (the demo data, the
tests); the docket benchmark reads their columns into rows it loads by COPY.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.cases import new_event, search_text_of
from filings.journey.services import filing_parties, format_reference, next_case_number
from filings.models import (
    CaseEvent,
    CaseParty,
    CaseTypeVersion,
    DueFrom,
    Filing,
    FilingStatus,
)
from tribunals.models import Tribunal


@dataclass(frozen=True)
class LaterEvent:
    """An event of the case's timeline after its `submitted` event."""

    kind: str
    occurred_at: datetime
    actor_id: uuid.UUID | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SeededCase:
    """A submitted case's new, unsaved rows."""

    filing: Filing
    parties: list[CaseParty]
    events: list[CaseEvent]


def build_submitted_case(
    *,
    tribunal_id: uuid.UUID,
    reference: str,
    version_id: uuid.UUID,
    filer: User,
    answers: dict[str, Any],
    received: datetime,
    language: str,
    status: FilingStatus = FilingStatus.SUBMITTED,
    status_changed_at: datetime | None = None,
    touched_at: datetime | None = None,
    entered_by_id: uuid.UUID | None = None,
    assigned_adjudicator_id: uuid.UUID | None = None,
    due: tuple[date, DueFrom, str] | None = None,
    later_events: Sequence[LaterEvent] = (),
    filing_id: uuid.UUID | None = None,
) -> SeededCase:
    """Return the rows of a case submitted by `filer` at `received` and now in `status`.

    The filer's `submitted` event comes first, then `later_events` in order. The status
    changed at `status_changed_at` and the filing was last touched at `touched_at` (both
    `received` unless given). A paper filing names the clerk who entered it in
    `entered_by_id` (and has them as `filer`). `due` is (due on, due from, due for).
    """
    due_on, due_from, due_for = due or (None, None, None)
    filing = Filing(
        id=filing_id or uuid.uuid4(),
        tribunal_id=tribunal_id,
        case_type_version_id=version_id,
        filer_id=filer.id,
        entered_by_id=entered_by_id,
        answers=answers,
        last_step="declaration",
        status=status,
        reference=reference,
        submitted_at=received,
        status_changed_at=status_changed_at or received,
        touched_at=touched_at or received,
        language=language,
        assigned_adjudicator_id=assigned_adjudicator_id,
        due_on=due_on,
        due_from=due_from,
        due_for=due_for,
    )
    parties = filing_parties(filing, filer, received)
    filing.search_text = search_text_of(filing, parties)
    events = [new_event(filing, "submitted", actor_id=filer.id, occurred_at=received)]
    events += [
        new_event(
            filing,
            later.kind,
            actor_id=later.actor_id,
            occurred_at=later.occurred_at,
            details=later.details,
        )
        for later in later_events
    ]
    return SeededCase(filing, parties, events)


async def seed_submitted_case(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    filer: User,
    *,
    answers: dict[str, Any],
    received: datetime,
    language: str,
    number: int | None = None,
    status: FilingStatus = FilingStatus.SUBMITTED,
    due: tuple[date, DueFrom, str] | None = None,
    later_events: Sequence[LaterEvent] = (),
) -> Filing:
    """Add a submitted case to the session (see `build_submitted_case`) and return it.

    Its reference takes case number `number` of the year it was received, or the next one
    of that year's counter (`next_case_number`). Nothing is committed.
    """
    if number is None:
        number = await next_case_number(db, tribunal.id, received.year)
    case = build_submitted_case(
        tribunal_id=tribunal.id,
        reference=format_reference(tribunal.reference_prefix, received.year, number),
        version_id=version.id,
        filer=filer,
        answers=answers,
        received=received,
        language=language,
        status=status,
        due=due,
        later_events=later_events,
    )
    db.add(case.filing)
    await db.flush()  # the case's rows below refer to it
    db.add_all(case.parties)
    db.add_all(case.events)
    return case.filing
