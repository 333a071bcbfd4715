"""Outcomes of hearings, and the decisions and interim orders of cases.

After a hearing's start its adjudicator, or the registry on their behalf, records what became
of it, once: held (the case moves to "heard"), or adjourned with a coded reason and the next
steps (the hearing's quarter hours are released, the case goes back to "accepted" to be
scheduled again, and the participants are told), and which party did not attend, if one did
not. The case moves through ``filings.lifecycle`` only.

A decision or interim order is a document the adjudicator (or a clerk for them) uploads with a
short summary in the case's language. It goes through the same checks as every document
(``filings.documents.services.check_file``) and is stored under an opaque key, but in a table
of its own, ``hearing_decisions``: a draft is the tribunal's only, never among the parties'
documents. Issuing publishes it: the parties see and download it from their case page and are
emailed, each in their language; an issued decision moves the case to "decided". Nothing
issued is changed or removed again: a correction is a new document, with its reason, issued
the same way, and both stay on record, the first marked as corrected by the second.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import cases, lifecycle
from filings.access import Actor
from filings.documents.inspection import FileKind
from filings.documents.scanning import Scanner
from filings.documents.services import (
    CheckedFile,
    SlotRules,
    UploadProblem,
    UploadProblemKind,
    check_file,
)
from filings.jobs import keeps_stored_objects
from filings.lifecycle import TransitionRefused
from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from hearings.attendance.services import AttendanceSummary
from hearings.models import (
    AdjournmentReason,
    DecisionKind,
    DecisionStatus,
    Hearing,
    HearingDecision,
    HearingOutcome,
    HearingStatus,
    OutcomeResult,
)
from hearings.notices.services import HearingChange, hearing_changed
from hearings.scheduling.services import release_blocks
from hearings.times import clock
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import EarlyCommit, commit_early, utcnow
from tribune.i18n import gettext as _
from tribune.mail import Outbox
from tribune.storage.base import Storage, new_object_key
from tribune.uploads import ReceivedFile

# The sweep of unreferenced stored objects must keep the decisions' files.
keeps_stored_objects(HearingDecision.storage_key)

NEXT_STEPS_MAX_LENGTH = 2000
SUMMARY_MAX_LENGTH = 1000
CORRECTION_REASON_MAX_LENGTH = 2000
# What a decision or an order may be: a document meant to be read and kept as it is.
DECISION_FILE_KINDS = (FileKind.PDF, FileKind.DOCX)
# The rules the upload messages are worded from: one file, of these kinds.
DECISION_SLOT = SlotRules("decision", tuple(kind.value for kind in DECISION_FILE_KINDS), 1)
# The case's states in which each kind of document may be uploaded (a correction, whenever
# what it corrects was issued).
KIND_STATES = {
    DecisionKind.DECISION: frozenset({FilingStatus.HEARD}),
    DecisionKind.INTERIM_ORDER: frozenset(
        {FilingStatus.ACCEPTED, FilingStatus.SCHEDULED, FilingStatus.HEARD}
    ),
}
REGISTRY_ACTORS = frozenset({Actor.CLERK, Actor.ADMIN})


class Refused(Exception):  # noqa: N818 - reads as what happened
    """The act is not allowed; nothing was changed. ``forbidden``: not for this person (403),
    else not now, in this state (409)."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.forbidden = forbidden


def acting_for(
    adjudicator_id: uuid.UUID | None, user: User, actors: frozenset[Actor]
) -> frozenset[Actor]:
    """Return the capacities in which the person acts for the adjudicator named: as that
    adjudicator, or as the registry on their behalf; raise Refused (forbidden) otherwise."""
    if Actor.ADJUDICATOR in actors and adjudicator_id is not None and user.id == adjudicator_id:
        return frozenset({Actor.ADJUDICATOR})
    registry = actors & REGISTRY_ACTORS
    if not registry:
        raise Refused(
            _("Only the adjudicator of this case, or the registry on their behalf, can do this."),
            forbidden=True,
        )
    return registry


def _role(actors: frozenset[Actor]) -> str:
    for actor in (Actor.ADJUDICATOR, Actor.CLERK, Actor.ADMIN):
        if actor in actors:
            return str(actor.value)
    return ""


# -- hearings and their outcomes ----------------------------------------------------------------


async def hearings_of(db: AsyncSession, filing: Filing) -> list[Hearing]:
    """Return the case's hearings, the earliest first."""
    rows = await db.execute(
        select(Hearing)
        .where(Hearing.filing_id == filing.id, Hearing.tribunal_id == filing.tribunal_id)
        .order_by(Hearing.starts_at, Hearing.id)
    )
    return list(rows.scalars())


async def hearing_of(db: AsyncSession, filing: Filing, hearing_id: uuid.UUID) -> Hearing | None:
    """Return the case's hearing with that id, or None (another case's or tribunal's is None)."""
    return (
        await db.execute(
            select(Hearing).where(
                Hearing.id == hearing_id,
                Hearing.filing_id == filing.id,
                Hearing.tribunal_id == filing.tribunal_id,
            )
        )
    ).scalar_one_or_none()


async def outcome_of(db: AsyncSession, hearing: Hearing) -> HearingOutcome | None:
    return (
        await db.execute(select(HearingOutcome).where(HearingOutcome.hearing_id == hearing.id))
    ).scalar_one_or_none()


def has_started(hearing: Hearing, now: datetime | None = None) -> bool:
    """Return whether the hearing has started: its time has come, or its adjudicator started
    it early from the video hearing's console."""
    return hearing.started_at is not None or hearing.starts_at <= (now or utcnow())


def awaits_outcome(hearing: Hearing, now: datetime | None = None) -> bool:
    """Return whether the hearing has started and its outcome is still to be recorded."""
    return hearing.status is HearingStatus.SCHEDULED and has_started(hearing, now)


def absent_choices(parties: Sequence[CaseParty]) -> list[CaseParty]:
    """Return who may be recorded as not attending: the parties, and the representatives
    acting for them."""
    return [
        party
        for party in parties
        if party.role is not PartyRole.REPRESENTATIVE or party.is_authorised
    ]


def proposed_absent(
    hearing: Hearing, summary: AttendanceSummary, parties: Sequence[CaseParty]
) -> CaseParty | None:
    """Return the party the attendance record shows did not attend, to propose as such (the
    adjudicator confirms), or None. Only once the hearing has started or anyone joined it;
    a party attended if they, or a representative acting for them, joined; a party is
    proposed only when they alone of the case's claimants and respondents did not."""
    anyone_came = summary.others or any(line.came for line in summary.participants)
    if hearing.started_at is None and not anyone_came:
        return None
    came = {line.key for line in summary.participants if line.came}

    def attended(party: CaseParty) -> bool:
        return f"party-{party.id}" in came or any(
            f"party-{other.id}" in came
            for other in parties
            if other.role is PartyRole.REPRESENTATIVE
            and other.is_authorised
            and other.represents_id == party.id
        )

    absent = [
        party
        for party in parties
        if party.role is not PartyRole.REPRESENTATIVE and not attended(party)
    ]
    return absent[0] if len(absent) == 1 else None


@dataclass(frozen=True)
class OutcomeValues:
    result: OutcomeResult
    absent_party_id: uuid.UUID | None
    adjournment_reason: AdjournmentReason | None
    next_steps: str
    # The hearing's sequence when the page was loaded: a hearing moved since is a stale form.
    sequence: int


async def record_outcome(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    values: OutcomeValues,
    *,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None = None,
) -> HearingOutcome:
    """Record the outcome of a hearing that has started and move its case: held → "heard";
    adjourned → its quarter hours released, the case back to "accepted", the participants
    told. Write the outcome, a case event and an audit entry; return the outcome.

    Raises Refused, with nothing changed: not the hearing's adjudicator nor the registry
    (forbidden); the hearing not started yet; its outcome already recorded, or the hearing
    cancelled or adjourned before; the hearing changed since the form was loaded; the case
    not in a state to move (the lifecycle's message)."""
    now = now or utcnow()
    acting = acting_for(hearing.adjudicator_id, user, actors)
    if await outcome_of(db, hearing) is not None:
        raise Refused(_("The outcome of this hearing was already recorded."))
    if hearing.status is not HearingStatus.SCHEDULED:
        raise Refused(_("This hearing was cancelled or adjourned: it has no outcome to record."))
    if not has_started(hearing, now):
        raise Refused(
            _(
                "The hearing has not started yet. Record its outcome once it has started, "
                "at %(time)s.",
                time=clock(hearing.starts_at, tribunal.time_zone),
            )
        )
    if values.sequence != hearing.sequence:
        raise Refused(
            _(
                "The hearing was changed since you opened this page. Check it, then record "
                "its outcome."
            )
        )
    parties = await lifecycle.parties_of(db, filing)
    absent = None
    if values.absent_party_id is not None:
        absent = next((p for p in absent_choices(parties) if p.id == values.absent_party_id), None)
        if absent is None:
            raise Refused(_("Select a party of this case."))
    adjourned = values.result is OutcomeResult.ADJOURNED
    if adjourned and (values.adjournment_reason is None or not values.next_steps.strip()):
        raise Refused(_("Give the reason for the adjournment and the next steps."))

    outcome = HearingOutcome(
        tribunal_id=tribunal.id,
        hearing_id=hearing.id,
        filing_id=filing.id,
        result=values.result,
        absent_party_id=absent.id if absent else None,
        adjournment_reason=values.adjournment_reason if adjourned else None,
        next_steps=values.next_steps.strip(),
        recorded_by_id=user.id,
    )
    status = HearingStatus.ADJOURNED if adjourned else HearingStatus.HELD
    await db.flush()  # the caller's pending changes stay out of the savepoint
    try:
        # A savepoint: a refusal below leaves nothing behind.
        async with db.begin_nested():
            moved = await db.execute(
                update(Hearing)
                .where(
                    Hearing.id == hearing.id,
                    Hearing.status == HearingStatus.SCHEDULED,
                    Hearing.sequence == values.sequence,
                )
                .values(
                    status=status,
                    adjournment_reason=outcome.adjournment_reason,
                    status_reason=outcome.next_steps if adjourned else "",
                    # An adjournment removes the event from calendars: a CANCEL of a higher
                    # SEQUENCE than the invites sent.
                    sequence=Hearing.sequence + (1 if adjourned else 0),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise Refused(
                    _("The hearing was changed since you opened this page. Check it again.")
                )
            db.add(outcome)
            await db.flush()
            event = await lifecycle.apply(
                db,
                outbox,
                tribunal,
                filing,
                "adjourn" if adjourned else "mark_heard",
                user=user,
                actors=acting,
                reason=outcome.next_steps if adjourned else "",
                # An adjournment is told by the hearing's notice, which says more.
                notify=not adjourned,
            )
            if adjourned:
                await release_blocks(db, hearing)
    except IntegrityError as error:
        raise Refused(_("The outcome of this hearing was already recorded.")) from error
    except TransitionRefused as refused:
        raise Refused(refused.message) from refused
    hearing.status = status
    hearing.sequence = values.sequence + (1 if adjourned else 0)
    hearing.adjournment_reason = outcome.adjournment_reason
    hearing.status_reason = outcome.next_steps if adjourned else ""
    event.details = {
        **event.details,
        "outcome": values.result.value,
        "hearing_id": str(hearing.id),
        **({"absent": absent.name} if absent else {}),
        **(
            {"adjournment_reason": outcome.adjournment_reason.value}
            if outcome.adjournment_reason
            else {}
        ),
    }
    audit.record(
        db,
        AuditAction.HEARING_OUTCOME_RECORDED,
        actor_id=user.id,
        actor_role=_role(acting),
        tribunal_id=tribunal.id,
        subject_type="hearing",
        subject_id=hearing.id,
        case_id=filing.id,
        result=values.result.value,
        absent_party_id=str(absent.id) if absent else None,
        adjournment_reason=outcome.adjournment_reason.value if outcome.adjournment_reason else None,
    )
    if adjourned:
        await hearing_changed(
            db,
            outbox,
            tribunal,
            filing,
            hearing,
            HearingChange.ADJOURNED,
            reason=outcome.next_steps,
        )
    return outcome


# -- decisions and interim orders ---------------------------------------------------------------


async def case_adjudicator_id(db: AsyncSession, filing: Filing) -> uuid.UUID | None:
    """Return the adjudicator who decides the case: the one of its latest hearing that was not
    cancelled, else the one assigned to it (or None)."""
    latest = (
        await db.execute(
            select(Hearing.adjudicator_id)
            .where(
                Hearing.filing_id == filing.id,
                Hearing.tribunal_id == filing.tribunal_id,
                Hearing.status != HearingStatus.CANCELLED,
            )
            .order_by(Hearing.starts_at.desc(), Hearing.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return latest or filing.assigned_adjudicator_id


async def decisions_of(
    db: AsyncSession, filing: Filing, *, issued_only: bool = False
) -> list[HearingDecision]:
    """Return the case's decisions and orders, in the order they were uploaded (issued ones
    only, for the parties)."""
    query = select(HearingDecision).where(
        HearingDecision.filing_id == filing.id, HearingDecision.tribunal_id == filing.tribunal_id
    )
    if issued_only:
        query = query.where(HearingDecision.status == DecisionStatus.ISSUED)
    rows = await db.execute(query.order_by(HearingDecision.created_at, HearingDecision.id))
    return list(rows.scalars())


async def decision_of(
    db: AsyncSession, filing: Filing, decision_id: uuid.UUID
) -> HearingDecision | None:
    """Return the case's decision or order with that id, or None (another case's is None)."""
    return (
        await db.execute(
            select(HearingDecision).where(
                HearingDecision.id == decision_id,
                HearingDecision.filing_id == filing.id,
                HearingDecision.tribunal_id == filing.tribunal_id,
            )
        )
    ).scalar_one_or_none()


def kinds_allowed(filing: Filing) -> list[DecisionKind]:
    """Return the kinds of document that may be uploaded for the case now (corrections apart)."""
    return [kind for kind in DecisionKind if filing.status in KIND_STATES[kind]]


def corrected_by(decisions: Sequence[HearingDecision]) -> dict[uuid.UUID, HearingDecision]:
    """Return, by the id of each issued document that was corrected, its issued correction."""
    return {
        decision.corrects_id: decision
        for decision in decisions
        if decision.corrects_id is not None and decision.status is DecisionStatus.ISSUED
    }


def may_correct(decision: HearingDecision, decisions: Sequence[HearingDecision]) -> bool:
    """Return whether a correction of the document may be made: issued, and not corrected yet
    (a correction that was itself corrected is corrected through its own correction)."""
    return decision.status is DecisionStatus.ISSUED and decision.id not in corrected_by(decisions)


@dataclass(frozen=True)
class DecisionValues:
    kind: DecisionKind
    summary: str
    corrects: HearingDecision | None = None
    correction_reason: str = ""


async def upload_decision(
    db: AsyncSession,
    storage: Storage,
    scanner: Scanner,
    tribunal: Tribunal,
    filing: Filing,
    values: DecisionValues,
    file: ReceivedFile | None,
    *,
    user: User,
    actors: frozenset[Actor],
) -> HearingDecision | UploadProblem:
    """Check the file as every document is checked, store it and keep it as a draft of the
    case's decision, order or correction; return it, or the problem with the file.

    Raises Refused, with nothing stored: not the case's adjudicator nor the registry
    (forbidden); a kind the case's state does not take; a correction of a document not issued
    or already corrected."""
    acting = acting_for(await case_adjudicator_id(db, filing), user, actors)
    decisions = await decisions_of(db, filing)
    if values.corrects is not None:
        if not may_correct(values.corrects, decisions) or values.corrects.kind is not values.kind:
            raise Refused(
                _("Only an issued decision or order that was not corrected yet can be corrected.")
            )
        if not values.correction_reason.strip():
            raise Refused(_("Give the reason for the correction."))
    elif values.kind not in kinds_allowed(filing):
        status = str(lifecycle.STATUS_LABELS[filing.status])
        raise Refused(
            _(
                "A decision can be uploaded once the hearing was held and until the case is "
                "decided; this case is “%(status)s”.",
                status=status,
            )
            if values.kind is DecisionKind.DECISION
            else _(
                "An interim order can be uploaded while the case is open, before its decision; "
                "this case is “%(status)s”.",
                status=status,
            )
        )
    if file is None:
        return UploadProblem(UploadProblemKind.NO_FILE)
    by_digest = {decision.sha256: decision.filename for decision in decisions}

    async def earlier(sha256: str, _name: str) -> str | None:
        return by_digest.get(sha256)

    checked = await check_file(tribunal, scanner, file, DECISION_FILE_KINDS, earlier)
    if isinstance(checked, UploadProblem):
        return checked
    key = new_object_key()
    try:
        await storage.put_file(key, checked.file.path)
        decision = _new_decision(tribunal, filing, values, checked, key, user)
        db.add(decision)
        cases.add_event(
            db,
            filing,
            "decision_uploaded",
            actor_id=user.id,
            visible_to_parties=False,
            document_kind=values.kind.value,
            filename=decision.filename,
        )
        audit.record(
            db,
            AuditAction.DECISION_UPLOADED,
            actor_id=user.id,
            actor_role=_role(acting),
            tribunal_id=tribunal.id,
            subject_type="decision",
            subject_id=decision.id,
            case_id=filing.id,
            kind=values.kind.value,
            corrects=str(values.corrects.id) if values.corrects else None,
        )
        await commit_early(db, EarlyCommit.AFTER_STORING_OBJECTS)
    except BaseException:
        await db.rollback()
        with contextlib.suppress(Exception):
            await storage.delete(key)
        raise
    return decision


def _new_decision(
    tribunal: Tribunal,
    filing: Filing,
    values: DecisionValues,
    checked: CheckedFile,
    key: str,
    user: User,
) -> HearingDecision:
    return HearingDecision(
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        kind=values.kind,
        status=DecisionStatus.DRAFT,
        storage_key=key,
        filename=checked.filename,
        size=checked.file.size,
        sha256=checked.file.sha256,
        file_kind=checked.kind.value,
        active_content=checked.active_content,
        summary=values.summary.strip(),
        language=filing.language,
        uploaded_by_id=user.id,
        corrects_id=values.corrects.id if values.corrects else None,
        correction_reason=values.correction_reason.strip() if values.corrects else "",
    )


async def issue_decision(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    decision: HearingDecision,
    *,
    user: User,
    actors: frozenset[Actor],
    now: datetime | None = None,
) -> None:
    """Publish a draft to the parties: issued now, shown and downloadable on their case page,
    each party and acting representative emailed in their language; a decision (not a
    correction) moves the case to "decided" with its summary as the reasons. A case event
    and an audit entry.

    Raises Refused, with nothing changed: not the case's adjudicator nor the registry
    (forbidden); already issued; a correction of a document corrected meanwhile; a decision
    of a case not "heard" (the lifecycle's message)."""
    now = now or utcnow()
    adjudicator_id = await case_adjudicator_id(db, filing)
    acting = acting_for(adjudicator_id, user, actors)
    if decision.status is not DecisionStatus.DRAFT:
        raise Refused(_("This document was already issued."))
    decisions = await decisions_of(db, filing)
    corrected = None
    if decision.corrects_id is not None:
        corrected = next((d for d in decisions if d.id == decision.corrects_id), None)
        if corrected is None or not may_correct(corrected, decisions):
            raise Refused(_("The document this corrects was corrected already."))
    await db.flush()
    try:
        async with db.begin_nested():
            issued = await db.execute(
                update(HearingDecision)
                .where(
                    HearingDecision.id == decision.id,
                    HearingDecision.status == DecisionStatus.DRAFT,
                )
                .values(
                    status=DecisionStatus.ISSUED,
                    issued_at=now,
                    issued_by_id=user.id,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if issued.rowcount != 1:  # type: ignore[attr-defined]
                raise Refused(_("This document was already issued."))
            if decision.kind is DecisionKind.DECISION and corrected is None:
                await lifecycle.apply(
                    db,
                    outbox,
                    tribunal,
                    filing,
                    "decide",
                    user=user,
                    actors=acting,
                    reason=decision.summary,
                    notify=False,  # the decision's own message goes instead
                )
            else:
                cases.add_event(
                    db,
                    filing,
                    "decision_corrected" if corrected else "interim_order_issued",
                    actor_id=user.id,
                    occurred_at=now,
                    reason=decision.correction_reason if corrected else decision.summary,
                    decision_id=str(decision.id),
                )
    except IntegrityError as error:
        raise Refused(_("The document this corrects was corrected already.")) from error
    except TransitionRefused as refused:
        raise Refused(refused.message) from refused
    decision.status = DecisionStatus.ISSUED
    decision.issued_at = now
    decision.issued_by_id = user.id
    audit.record(
        db,
        AuditAction.DECISION_ISSUED,
        actor_id=user.id,
        actor_role=_role(acting),
        tribunal_id=tribunal.id,
        subject_type="decision",
        subject_id=decision.id,
        case_id=filing.id,
        kind=decision.kind.value,
        corrects=str(corrected.id) if corrected else None,
        on_behalf_of=str(adjudicator_id)
        if Actor.ADJUDICATOR not in acting and adjudicator_id
        else None,
    )
    await _tell_parties(db, outbox, tribunal, filing, decision, corrected)


async def _tell_parties(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    decision: HearingDecision,
    corrected: HearingDecision | None,
) -> None:
    """Email each party and acting representative once, in their own language, with the link
    to their case page where the document is."""
    for party in lifecycle.parties_to_write_to(await lifecycle.parties_of(db, filing)):
        outbox.queue(
            db,
            to=party.email,
            language=party.language,
            template="decision_issued",
            context={
                "name": party.name,
                "tribunal": tribunal,
                "reference": filing.reference,
                "kind": decision.kind.value,
                "correction": corrected is not None,
                "corrected_issued_at": corrected.issued_at if corrected else None,
                "correction_reason": decision.correction_reason,
                "summary": decision.summary,
                "issued_at": decision.issued_at,
                "url": outbox.url(
                    "filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id
                )
                + "#decisions",
            },
            tribunal_id=tribunal.id,
            case_id=filing.id,
        )


async def remove_draft(
    db: AsyncSession,
    storage: Storage,
    filing: Filing,
    decision: HearingDecision,
    *,
    user: User,
    actors: frozenset[Actor],
) -> None:
    """Remove a draft (its row, then its stored file); an issued document is never removed.

    Raises Refused: not the case's adjudicator nor the registry (forbidden); already issued."""
    acting = acting_for(await case_adjudicator_id(db, filing), user, actors)
    if decision.status is not DecisionStatus.DRAFT:
        raise Refused(
            _("An issued decision or order is never removed. Upload a correction instead.")
        )
    deleted = await db.execute(
        delete(HearingDecision)
        .where(HearingDecision.id == decision.id, HearingDecision.status == DecisionStatus.DRAFT)
        .execution_options(synchronize_session=False)
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(_("This document was already issued."))
    db.expunge(decision)
    cases.add_event(
        db,
        filing,
        "decision_removed",
        actor_id=user.id,
        visible_to_parties=False,
        filename=decision.filename,
    )
    audit.record(
        db,
        AuditAction.DECISION_REMOVED,
        actor_id=user.id,
        actor_role=_role(acting),
        tribunal_id=filing.tribunal_id,
        subject_type="decision",
        subject_id=decision.id,
        case_id=filing.id,
    )
    await commit_early(db, EarlyCommit.BEFORE_DELETING_OBJECTS)
    await storage.delete(decision.storage_key)


def record_download(db: AsyncSession, decision: HearingDecision, *, user: User, role: str) -> None:
    """Write to the audit log that the person downloaded the document, in the capacity given."""
    audit.record(
        db,
        AuditAction.DECISION_DOWNLOADED,
        actor_id=user.id,
        actor_role=role,
        tribunal_id=decision.tribunal_id,
        subject_type="decision",
        subject_id=decision.id,
        case_id=decision.filing_id,
    )
