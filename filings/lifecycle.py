"""The life of a case, in one place: its states, the moves between them, and who may make them.

    draft → submitted → (returned ⇄ resubmitted) → accepted → scheduled → heard → decided → closed
    scheduled → accepted: the hearing adjourned or cancelled, to be scheduled again
    withdrawn: by the claimant (or their authorised representative), until decided
    dismissed: by the tribunal, with reasons, until decided

The hearing steps (scheduled, heard, decided, adjourned, cancelled) are made by the hearing
pages (``hearings``), which book, record outcomes and issue decisions and call ``apply``
here; the case pages offer no button for them.

Every move is a compare-and-set on the status (two clerks clicking at once move the case once),
writes a case event (who, when, from, to, reason, visible to parties or not), an audit entry,
and queues a notification to each party in their own language. Submission itself is
`filings.journey.services.submit`, which also assigns the reference.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import access, cases, deadlines
from filings.access import Actor
from filings.models import (
    CaseEvent,
    CaseParty,
    CaseTypeVersion,
    DueFrom,
    Filing,
    FilingStatus,
    PartyRole,
)
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext
from tribune.mail import Outbox

S = FilingStatus
OPEN_STATES = frozenset({S.SUBMITTED, S.RETURNED, S.ACCEPTED, S.SCHEDULED, S.HEARD})
REGISTRY = frozenset({Actor.CLERK, Actor.ADMIN})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[FilingStatus]
    target: FilingStatus
    actors: frozenset[Actor]
    label: Any  # a lazy translated button label
    event_kind: str
    reason_required: bool = False
    # Made by the hearing pages as part of a booking, an outcome or a decision, never alone.
    hearing_step: bool = False


TRANSITIONS: dict[str, Transition] = {
    transition.name: transition
    for transition in (
        Transition(
            "return",
            frozenset({S.SUBMITTED}),
            S.RETURNED,
            REGISTRY,
            lazy_gettext("Return for completion"),
            "returned",
            reason_required=True,
        ),
        Transition(
            "resubmit",
            frozenset({S.RETURNED}),
            S.SUBMITTED,
            frozenset({Actor.CLAIMANT, Actor.REPRESENTATIVE}),
            lazy_gettext("Resubmit"),
            "resubmitted",
        ),
        Transition(
            "accept",
            frozenset({S.SUBMITTED}),
            S.ACCEPTED,
            REGISTRY,
            lazy_gettext("Accept"),
            "accepted",
        ),
        Transition(
            "schedule",
            frozenset({S.ACCEPTED}),
            S.SCHEDULED,
            REGISTRY,
            lazy_gettext("Mark as scheduled"),
            "scheduled",
            hearing_step=True,
        ),
        Transition(
            "mark_heard",
            frozenset({S.SCHEDULED}),
            S.HEARD,
            frozenset({Actor.ADJUDICATOR, Actor.CLERK, Actor.ADMIN}),
            lazy_gettext("Mark as heard"),
            "heard",
            hearing_step=True,
        ),
        Transition(
            "decide",
            frozenset({S.HEARD}),
            S.DECIDED,
            # The adjudicator, or the registry issuing the decision on their behalf.
            frozenset({Actor.ADJUDICATOR, Actor.CLERK, Actor.ADMIN}),
            lazy_gettext("Record the decision"),
            "decided",
            reason_required=True,
            hearing_step=True,
        ),
        Transition(
            "adjourn",
            frozenset({S.SCHEDULED}),
            S.ACCEPTED,
            frozenset({Actor.ADJUDICATOR, Actor.CLERK, Actor.ADMIN}),
            lazy_gettext("Adjourn the hearing"),
            "adjourned",
            reason_required=True,
            hearing_step=True,
        ),
        Transition(
            "cancel_hearing",
            frozenset({S.SCHEDULED}),
            S.ACCEPTED,
            REGISTRY,
            lazy_gettext("Cancel the hearing"),
            "hearing_cancelled",
            reason_required=True,
            hearing_step=True,
        ),
        Transition(
            "close", frozenset({S.DECIDED}), S.CLOSED, REGISTRY, lazy_gettext("Close"), "closed"
        ),
        Transition(
            "withdraw",
            OPEN_STATES,
            S.WITHDRAWN,
            frozenset({Actor.CLAIMANT, Actor.REPRESENTATIVE}),
            lazy_gettext("Withdraw the case"),
            "withdrawn",
        ),
        Transition(
            "dismiss",
            OPEN_STATES,
            S.DISMISSED,
            frozenset({Actor.ADJUDICATOR, Actor.ADMIN}),
            lazy_gettext("Dismiss"),
            "dismissed",
            reason_required=True,
        ),
    )
}


class Audience(enum.Enum):
    """Who makes a move, from which pages: staff from the staff case page, parties from theirs."""

    STAFF = "staff"
    PARTIES = "parties"


# One table per audience: the moves each may ask for by name.
AUDIENCE_TRANSITIONS: dict[Audience, dict[str, Transition]] = {
    Audience.STAFF: {
        name: transition
        for name, transition in TRANSITIONS.items()
        if transition.actors & access.STAFF_ACTORS and not transition.hearing_step
    },
    Audience.PARTIES: {name: TRANSITIONS[name] for name in ("resubmit", "withdraw")},
}


def transition_for(audience: Audience, name: str) -> Transition | None:
    """Return the move of that name this audience may ask for, or None."""
    return AUDIENCE_TRANSITIONS[audience].get(name)


STATUS_LABELS = {
    S.DRAFT: lazy_gettext("Draft"),
    S.SUBMITTED: lazy_gettext("Submitted"),
    S.RETURNED: lazy_gettext("Returned for completion"),
    S.ACCEPTED: lazy_gettext("Accepted"),
    S.SCHEDULED: lazy_gettext("Hearing scheduled"),
    S.HEARD: lazy_gettext("Heard"),
    S.DECIDED: lazy_gettext("Decided"),
    S.CLOSED: lazy_gettext("Closed"),
    S.WITHDRAWN: lazy_gettext("Withdrawn"),
    S.DISMISSED: lazy_gettext("Dismissed"),
}


class TransitionRefused(Exception):  # noqa: N818 - reads as what happened
    """The move is not allowed from the case's state, or not for this person (answer 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allowed_transitions(
    filing: Filing, actors: frozenset[Actor], audience: Audience
) -> list[Transition]:
    """Return the moves these actors may make on the case now from the audience's pages, in
    the order they are listed."""
    return [
        transition
        for transition in AUDIENCE_TRANSITIONS[audience].values()
        if filing.status in transition.sources and transition.actors & actors
    ]


def refusal_for(filing: Filing, transition: Transition, actors: frozenset[Actor]) -> str | None:
    """Return why the move is refused (translated), or None if it is allowed."""
    if filing.status not in transition.sources:
        return _(
            "This case's status is now “%(status)s”: it cannot be changed that way.",
            status=str(STATUS_LABELS[filing.status]),
        )
    if not transition.actors & actors:
        return _("You cannot make this change to the case.")
    if transition.target is S.ACCEPTED and filing.awaiting_payment:
        return _(
            "This case cannot be accepted until its fee is paid or waived. "
            "Record a payment, or decide the fee waiver, first."
        )
    return None


def _acting_role(transition: Transition, actors: frozenset[Actor]) -> Actor:
    actor = access.acting_capacity(transition.actors & actors)
    if actor is None:
        raise ValueError("no actor may make this move")
    return actor


async def parties_of(db: AsyncSession, filing: Filing) -> list[CaseParty]:
    """Return the case's parties and representatives, in the order they were added."""
    rows = await db.execute(
        select(CaseParty)
        .where(CaseParty.filing_id == filing.id, CaseParty.tribunal_id == filing.tribunal_id)
        .order_by(CaseParty.created_at, CaseParty.id)
    )
    return list(rows.scalars())


# What later domains do when a case moves (hearings cancel a withdrawn case's hearing): called
# with the session, the outbox, the tribunal, the case (already moved), the event and who
# moved it, in the move's transaction. Registered at import time, as case page sections are.
MoveListener = Callable[
    [AsyncSession, Outbox, Tribunal, Filing, CaseEvent, User, frozenset[Actor]], Awaitable[None]
]
_move_listeners: list[MoveListener] = []


def on_move(listener: MoveListener) -> MoveListener:
    """Register a function called after every move of a case, in the move's transaction."""
    if listener not in _move_listeners:
        _move_listeners.append(listener)
    return listener


# In the submission's transaction, with the session, the tribunal, the case (just given its
# reference) and its version: payments charge the case its fee here.
SubmissionListener = Callable[[AsyncSession, Tribunal, Filing, CaseTypeVersion], Awaitable[object]]
_submission_listeners: list[SubmissionListener] = []


def on_submission(listener: SubmissionListener) -> SubmissionListener:
    """Register a function called when a filing is submitted, in the same transaction."""
    if listener not in _submission_listeners:
        _submission_listeners.append(listener)
    return listener


async def submitted(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, version: CaseTypeVersion
) -> None:
    for listener in _submission_listeners:
        await listener(db, tribunal, filing, version)


async def apply(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    name: str,
    *,
    user: User,
    actors: frozenset[Actor],
    reason: str = "",
    notify: bool = True,
) -> CaseEvent:
    """Move the case; return the event written. ``notify=False`` leaves telling the parties
    to the caller (a hearing notice says more than the case-event message would).

    Raises TransitionRefused (nothing changed) if the move is unknown, not allowed from the
    case's state, not allowed to these actors, lacks a required reason, or lost a race.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionRefused(_("You cannot make this change to the case."))
    refusal = refusal_for(filing, transition, actors)
    if refusal is not None:
        raise TransitionRefused(refusal)
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise TransitionRefused(_("Give the reasons for this change."))
    now = utcnow()
    values: dict[str, Any] = {"status": transition.target, "status_changed_at": now}
    values.update(_due_after_move(tribunal, transition))
    moved = await db.execute(
        update(Filing)
        .where(Filing.id == filing.id, Filing.status == filing.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        # Someone else moved the case between the page and this click.
        raise TransitionRefused(_("This case was changed by someone else. Check it again."))
    previous = filing.status
    for key, value in values.items():
        setattr(filing, key, value)
    role = _acting_role(transition, actors)
    event = cases.add_event(
        db,
        filing,
        transition.event_kind,
        actor_id=user.id,
        occurred_at=now,
        details={
            "from": previous.value,
            "to": transition.target.value,
            "role": role.value,
            "reason": reason,
            **(
                {"due_on": filing.due_on.isoformat()}
                if "due_on" in values and filing.due_on
                else {}
            ),
        },
    )
    audit.record(
        db,
        AuditAction(f"case.{transition.event_kind}"),
        actor_id=user.id,
        actor_role=role.value,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
        to=transition.target.value,
    )
    for listener in _move_listeners:
        await listener(db, outbox, tribunal, filing, event, user, actors)
    if notify:
        await notify_parties(db, outbox, tribunal, filing, event)
    return event


def _due_after_move(tribunal: Tribunal, transition: Transition) -> dict[str, Any]:
    if transition.target is S.RETURNED:
        return {
            "due_on": deadlines.due_after(tribunal, tribunal.completion_business_days),
            "due_from": DueFrom.CLAIMANT,
            "due_for": "completion",
        }
    # Whatever was due is done or moot; a response deadline is set when a respondent is added.
    return {"due_on": None, "due_from": None, "due_for": None}


def parties_to_write_to(parties: list[CaseParty]) -> list[CaseParty]:
    """Return the parties and acting (authorised) representatives a message about the case
    goes to: those with an email address, each address once, in the parties' order."""
    written: set[str] = set()
    chosen = []
    for party in parties:
        address = party.email.strip().lower()
        if not address or address in written:
            continue
        if party.role is PartyRole.REPRESENTATIVE and not party.is_authorised:
            continue
        written.add(address)
        chosen.append(party)
    return chosen


async def notify_parties(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    event: CaseEvent,
) -> None:
    """Queue an email about a public case event to every party and acting representative,
    each in their own language; the messages are linked to the case for its delivery log."""
    if not event.visible_to_parties:
        return
    for party in parties_to_write_to(await parties_of(db, filing)):
        outbox.queue(
            db,
            to=party.email,
            language=party.language,
            template="case_event",
            context={
                "name": party.name,
                "tribunal": tribunal,
                "reference": filing.reference,
                "kind": event.kind,
                "status": filing.status.value,
                "reason": event.details.get("reason", ""),
                "due_on": filing.due_on,
                "url": outbox.url(
                    "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
                ),
            },
            tribunal_id=tribunal.id,
            case_id=filing.id,
        )
