"""Notices of hearing to every participant, in their language, with a calendar invite;
reminders before the day; resending a notice to one recipient.

The participants of a hearing are the case's parties (claimant, respondents) and their
authorised representatives, the adjudicator and the interpreter. Each notice is written in
its reader's language, with the hearing's day and times in the tribunal's zone (and in the
reader's own zone beside it, when their account has another), how to join, what to prepare
and how to ask for an accommodation or an adjournment. A notice by email carries the
invitation for calendar programs (``hearings.notices.invites``); the same notice is a
printable page for people who file on paper.

Reminders are jobs planned when a hearing is booked or moved, each carrying the hearing's
sequence and start: a reminder finds the hearing changed (moved, cancelled, adjourned) and
does nothing, so a reminder planned for an old time is never sent. A reminder whose time has
already passed when it is planned (a hearing booked 3 days ahead has no 7-day reminder) is
not planned: the notice just sent says as much, and a reminder sent late would say "in 7
days" of a hearing 3 days away.
"""

from __future__ import annotations

import email.utils
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import LazyProxy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings import lifecycle
from filings.models import CaseParty, Filing, PartyRole
from hearings.calendars.services import settings_of
from hearings.models import (
    DEFAULT_REMINDER_DAYS,
    AdjournmentReason,
    Hearing,
    HearingMode,
    HearingRoom,
    HearingSettings,
    HearingStatus,
    Interpreter,
)
from hearings.notices.invites import Invite, Method, calendar_of
from hearings.times import for_reader
from tribunals.models import Tribunal
from tribune import audit, i18n, jobs
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext
from tribune.languages import language_name
from tribune.mail import Outbox, OutboxMessage

REMINDER_JOB = "hearings.reminder"


class HearingChange(enum.Enum):
    """What happened to a hearing, which its participants are told of."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"  # a new time, mode or place: the same UID, a higher SEQUENCE
    ADJOURNED = "adjourned"
    CANCELLED = "cancelled"


# The mail template (templates/mail/<name>.txt) of each notice, and of the reminder.
TEMPLATES = {
    HearingChange.BOOKED: "hearing_booked",
    HearingChange.RESCHEDULED: "hearing_rescheduled",
    HearingChange.ADJOURNED: "hearing_adjourned",
    HearingChange.CANCELLED: "hearing_cancelled",
}
REMINDER_TEMPLATE = "hearing_reminder"
NOTICE_TEMPLATES = frozenset({*TEMPLATES.values(), REMINDER_TEMPLATE})


class ParticipantRole(enum.Enum):
    CLAIMANT = "claimant"
    RESPONDENT = "respondent"
    REPRESENTATIVE = "representative"
    ADJUDICATOR = "adjudicator"
    INTERPRETER = "interpreter"


ROLE_LABELS: dict[ParticipantRole, LazyProxy] = {
    ParticipantRole.CLAIMANT: lazy_gettext("Claimant"),
    ParticipantRole.RESPONDENT: lazy_gettext("Respondent"),
    ParticipantRole.REPRESENTATIVE: lazy_gettext("Representative"),
    ParticipantRole.ADJUDICATOR: lazy_gettext("Adjudicator"),
    ParticipantRole.INTERPRETER: lazy_gettext("Interpreter"),
}

MODE_LABELS: dict[HearingMode, LazyProxy] = {
    HearingMode.VIDEO: lazy_gettext("Video"),
    HearingMode.TELEPHONE: lazy_gettext("Telephone"),
    HearingMode.IN_PERSON: lazy_gettext("In person"),
}

ADJOURNMENT_LABELS: dict[AdjournmentReason, LazyProxy] = {
    AdjournmentReason.NO_INTERPRETER: lazy_gettext("No interpreter was available"),
    AdjournmentReason.PARTY_UNAVAILABLE: lazy_gettext("A party is unavailable"),
    AdjournmentReason.EVIDENCE_OUTSTANDING: lazy_gettext("Evidence is outstanding"),
    AdjournmentReason.ADJUDICATOR_UNAVAILABLE: lazy_gettext("The adjudicator is unavailable"),
    AdjournmentReason.OTHER: lazy_gettext("Another reason"),
}


@dataclass(frozen=True)
class Participant:
    """Someone told of a hearing. ``key`` names them among the hearing's participants (in
    forms and addresses: no personal information); ``email`` is empty for a party without
    one (who gets the printed notice); ``time_zone`` is their account's, if any."""

    key: str
    role: ParticipantRole
    name: str
    email: str
    language: str
    time_zone: str | None = None

    @property
    def staff(self) -> bool:
        return self.role is ParticipantRole.ADJUDICATOR

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[self.role])


def _language(code: str | None, tribunal: Tribunal) -> str:
    if code in i18n.LANGUAGES:
        return str(code)
    return tribunal.default_language if tribunal.default_language in i18n.LANGUAGES else "en"


async def participants_of(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, hearing: Hearing
) -> list[Participant]:
    """Return the hearing's participants: the case's parties and authorised representatives
    (in the order they were added), the adjudicator, then the interpreter if one is booked."""
    parties = await lifecycle.parties_of(db, filing)
    user_ids = {party.user_id for party in parties if party.user_id is not None}
    user_ids.add(hearing.adjudicator_id)
    users = {user.id: user for user in await db.scalars(select(User).where(User.id.in_(user_ids)))}
    found: list[Participant] = []
    for party in parties:
        if party.role is PartyRole.REPRESENTATIVE and not party.is_authorised:
            continue
        account = users.get(party.user_id) if party.user_id is not None else None
        found.append(
            Participant(
                key=f"party-{party.id}",
                role=ParticipantRole(party.role.value),
                name=party.name,
                email=party.email or (account.email if account else ""),
                language=_language(party.language, tribunal),
                time_zone=account.time_zone if account else None,
            )
        )
    adjudicator = users.get(hearing.adjudicator_id)
    if adjudicator is not None:
        found.append(
            Participant(
                key=f"adjudicator-{adjudicator.id}",
                role=ParticipantRole.ADJUDICATOR,
                name=adjudicator.name,
                email=adjudicator.email,
                language=_language(adjudicator.language, tribunal),
                time_zone=adjudicator.time_zone,
            )
        )
    if hearing.interpreter_id is not None:
        interpreter = await db.get(Interpreter, hearing.interpreter_id)
        if interpreter is not None and interpreter.tribunal_id == tribunal.id:
            # An interpreter has no account: they read the tribunal's language.
            found.append(
                Participant(
                    key=f"interpreter-{interpreter.id}",
                    role=ParticipantRole.INTERPRETER,
                    name=interpreter.name,
                    email=interpreter.email,
                    language=_language(None, tribunal),
                )
            )
    return found


def _recipients(participants: Iterable[Participant]) -> list[Participant]:
    """Return the participants who get email, each address once."""
    seen: set[str] = set()
    recipients = []
    for participant in participants:
        address = participant.email.strip().lower()
        if address and address not in seen:
            seen.add(address)
            recipients.append(participant)
    return recipients


def party_participant(
    participants: list[Participant], parties: list[CaseParty], user: User
) -> Participant:
    """Return the participant a signed-in party reads the notice as: their own party (or
    representative) on the case, else their account."""
    own = {f"party-{party.id}" for party in parties if party.user_id == user.id}
    found = next((p for p in participants if p.key in own), None)
    if found is not None:
        return replace(found, time_zone=user.time_zone)
    return Participant(
        key=f"user-{user.id}",
        role=ParticipantRole.CLAIMANT,
        name=user.name,
        email=user.email,
        language=user.language,
        time_zone=user.time_zone,
    )


# -- what a notice says -----------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A notice of hearing as one participant reads it, every text in their language."""

    kind: str  # booked, rescheduled, adjourned, cancelled, reminder
    name: str
    role: str
    role_value: str
    reference: str
    tribunal_name: str
    when: str
    when_local: str
    old_when: str
    old_when_local: str
    mode: str
    mode_value: str
    link: str
    dial_in: str
    room_name: str
    room_address: str
    room_accessibility: str
    interpreter_language: str
    reason: str
    adjournment_reason: str
    contact_email: str
    contact_phone: str
    case_url: str
    days_before: int = 0

    @property
    def location(self) -> str:
        """Where to go or what to dial, for a calendar's LOCATION."""
        if self.mode_value == HearingMode.IN_PERSON.value:
            return ", ".join(part for part in (self.room_name, self.room_address) if part)
        if self.mode_value == HearingMode.TELEPHONE.value:
            return self.dial_in
        return self.link


@dataclass(frozen=True)
class HearingFacts:
    """What every participant's notice shares, read once per hearing."""

    tribunal: Tribunal
    filing: Filing
    hearing: Hearing
    settings: HearingSettings
    room: HearingRoom | None


async def facts_of(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, hearing: Hearing
) -> HearingFacts:
    room = await db.get(HearingRoom, hearing.room_id) if hearing.room_id is not None else None
    return HearingFacts(tribunal, filing, hearing, await settings_of(db, tribunal), room)


def _case_link(outbox: Outbox, facts: HearingFacts, participant: Participant) -> str:
    """Return where the participant follows the case: the staff case page for the
    adjudicator, the parties' page for a party; an interpreter has no account, and is sent
    the details by the registry."""
    values = {"tribunal": facts.tribunal.slug, "filing_id": facts.filing.id}
    if participant.role is ParticipantRole.INTERPRETER:
        return ""
    if participant.staff:
        return outbox.url("filings:casework:case", **values)
    return outbox.url("filings:journey:case", **values)


def _join_link(outbox: Outbox, facts: HearingFacts, participant: Participant) -> str:
    """Return the hearing page a participant joins a video hearing from (its waiting room
    and room); an interpreter has no account, and is sent the details by the registry."""
    if participant.role is ParticipantRole.INTERPRETER:
        return ""
    return outbox.url(
        "hearings:room:hearing", tribunal=facts.tribunal.slug, hearing_id=facts.hearing.id
    )


def notice_for(
    outbox: Outbox,
    facts: HearingFacts,
    participant: Participant,
    kind: str,
    *,
    reason: str = "",
    old: tuple[datetime, datetime] | None = None,
    days_before: int = 0,
) -> Notice:
    """Return the notice of ``kind`` as ``participant`` reads it, written in the current
    language (the caller sets the participant's with ``i18n.use_language``)."""
    hearing, tribunal, settings = facts.hearing, facts.tribunal, facts.settings
    zone = tribunal.time_zone
    when = for_reader(hearing.starts_at, hearing.ends_at, zone, participant.time_zone)
    old_when = old_local = ""
    if old is not None and old != (hearing.starts_at, hearing.ends_at):
        before = for_reader(old[0], old[1], zone, participant.time_zone)
        old_when, old_local = before.tribunal, before.local
    french = i18n.get_language() == "fr"
    dial_in = ""
    if hearing.mode is HearingMode.TELEPHONE:
        dial_in = (settings.dial_in_fr if french else settings.dial_in_en) or (
            settings.dial_in_en or settings.dial_in_fr
        )
    room = facts.room if hearing.mode is HearingMode.IN_PERSON else None
    link = _case_link(outbox, facts, participant)
    interpreter_language = ""
    if hearing.language:
        interpreter_language = language_name(hearing.language)
    return Notice(
        kind=kind,
        name=participant.name,
        role=participant.role_label,
        role_value=participant.role.value,
        reference=facts.filing.reference or "",
        tribunal_name=i18n.localised(tribunal, "name"),
        when=when.tribunal,
        when_local=when.local,
        old_when=old_when,
        old_when_local=old_local,
        mode=str(MODE_LABELS[hearing.mode]),
        mode_value=hearing.mode.value,
        link=_join_link(outbox, facts, participant) if hearing.mode is HearingMode.VIDEO else "",
        dial_in=dial_in,
        room_name=room.name if room else "",
        room_address=room.address if room else "",
        room_accessibility=room.accessibility_notes if room else "",
        interpreter_language=interpreter_language,
        reason=reason.strip(),
        adjournment_reason=(
            str(ADJOURNMENT_LABELS[hearing.adjournment_reason])
            if hearing.adjournment_reason is not None and kind == "adjourned"
            else ""
        ),
        contact_email=tribunal.contact_email,
        contact_phone=tribunal.contact_phone,
        case_url=link,
        days_before=days_before,
    )


def _organizer(outbox: Outbox, tribunal: Tribunal) -> tuple[str, str]:
    """Return the address and name the invitations come from: the platform's sender address,
    named for the tribunal."""
    name, address = email.utils.parseaddr(outbox.sender)
    return address or outbox.sender, i18n.localised(tribunal, "name") or name


def invite_for(
    outbox: Outbox,
    facts: HearingFacts,
    participant: Participant,
    notice: Notice,
    now: datetime,
) -> tuple[str, Method]:
    """Return the iCalendar object of the participant's invitation in the hearing's current
    state (a request while it is to be held, a cancellation once cancelled or adjourned),
    written in the current language, and its method."""
    hearing = facts.hearing
    method = Method.REQUEST if hearing.status is HearingStatus.SCHEDULED else Method.CANCEL
    organizer_email, organizer_name = _organizer(outbox, facts.tribunal)
    lines = [
        _(
            "Hearing of case %(reference)s (%(tribunal)s).",
            reference=notice.reference,
            tribunal=notice.tribunal_name,
        ),
        _("When: %(when)s", when=notice.when),
        _("How: %(mode)s", mode=notice.mode),
    ]
    if notice.link:
        lines.append(_("Join from your case page: %(url)s", url=notice.link))
    if notice.dial_in:
        lines.append(_("Dial-in: %(details)s", details=notice.dial_in))
    if notice.room_name:
        lines.append(_("Where: %(place)s", place=notice.location))
    if method is Method.CANCEL:
        lines.append(_("This hearing will not take place at this time."))
    summary = (
        _("Hearing cancelled: case %(reference)s", reference=notice.reference)
        if method is Method.CANCEL
        else _("Hearing: case %(reference)s", reference=notice.reference)
    )
    invite = Invite(
        method=method,
        uid=hearing.calendar_uid,
        sequence=hearing.sequence,
        starts_at=hearing.starts_at,
        ends_at=hearing.ends_at,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendee_email=participant.email,
        attendee_name=participant.name,
        language=i18n.get_language(),
        summary=summary,
        description="\n".join(lines),
        url=notice.link or notice.case_url,
        location=notice.location,
    )
    return calendar_of(invite, now), method


def _queue_notice(
    db: AsyncSession,
    outbox: Outbox,
    facts: HearingFacts,
    participant: Participant,
    template: str,
    kind: str,
    now: datetime,
    *,
    reason: str = "",
    old: tuple[datetime, datetime] | None = None,
    with_invite: bool = True,
    days_before: int = 0,
) -> OutboxMessage:
    with i18n.use_language(participant.language):
        notice = notice_for(
            outbox, facts, participant, kind, reason=reason, old=old, days_before=days_before
        )
        calendar: str | None = None
        method: str | None = None
        if with_invite:
            calendar, invite_method = invite_for(outbox, facts, participant, notice, now)
            method = invite_method.value
    return outbox.queue(
        db,
        to=participant.email,
        language=participant.language,
        template=template,
        context={"notice": notice, "tribunal": facts.tribunal},
        tribunal_id=facts.tribunal.id,
        case_id=facts.filing.id,
        calendar=calendar,
        calendar_method=method,
    )


def kind_of(hearing: Hearing) -> HearingChange:
    """Return the notice that describes the hearing as it stands now."""
    if hearing.status is HearingStatus.CANCELLED:
        return HearingChange.CANCELLED
    if hearing.status is HearingStatus.ADJOURNED:
        return HearingChange.ADJOURNED
    return HearingChange.BOOKED


async def hearing_changed(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    change: HearingChange,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Tell every participant of the hearing what changed, with the transaction that changed
    it, and plan its reminders (a booked or moved hearing; those planned before are dropped
    when they run, see ``send_reminders``). Return the messages queued.

    The caller has already changed the hearing: for a move, its new times and a higher
    ``sequence``; for a cancellation or adjournment, its status and a higher ``sequence``.
    A move's notice also gives the time the participants were told of before."""
    now = now or utcnow()
    facts = await facts_of(db, tribunal, filing, hearing)
    participants = _recipients(await participants_of(db, tribunal, filing, hearing))
    old = None
    if hearing.notified_starts_at is not None and hearing.notified_ends_at is not None:
        old = (hearing.notified_starts_at, hearing.notified_ends_at)
    messages = [
        _queue_notice(
            db,
            outbox,
            facts,
            participant,
            TEMPLATES[change],
            change.value,
            now,
            reason=reason,
            old=old if change is HearingChange.RESCHEDULED else None,
        )
        for participant in participants
    ]
    hearing.notified_starts_at = hearing.starts_at
    hearing.notified_ends_at = hearing.ends_at
    if change in (HearingChange.BOOKED, HearingChange.RESCHEDULED):
        plan_reminders(db, tribunal, facts.settings, hearing, now)
    return messages


# -- reminders --------------------------------------------------------------------------------


def reminder_days_of(settings: HearingSettings) -> list[int]:
    days = settings.reminder_days
    if days is None:  # a settings row made in Python and not yet flushed
        return list(DEFAULT_REMINDER_DAYS)
    return sorted({int(day) for day in days}, reverse=True)


def reminder_time(starts_at: datetime, days: int, zone: str) -> datetime:
    """Return when the reminder ``days`` before a hearing is sent: the same local time of day,
    ``days`` calendar days before, in the tribunal's zone (across a daylight-saving change
    too), as a UTC instant."""
    local = starts_at.astimezone(ZoneInfo(zone))
    return (local - timedelta(days=days)).astimezone(UTC)


def plan_reminders(
    db: AsyncSession, tribunal: Tribunal, settings: HearingSettings, hearing: Hearing, now: datetime
) -> list[jobs.Job]:
    """Queue the hearing's reminders whose time is still to come (see the module's note)."""
    zone = tribunal.time_zone
    planned = []
    for days in reminder_days_of(settings):
        at = reminder_time(hearing.starts_at, days, zone)
        if at <= now:
            continue
        planned.append(
            jobs.enqueue(
                db,
                REMINDER_JOB,
                {
                    "hearing_id": str(hearing.id),
                    "sequence": hearing.sequence,
                    "starts_at": hearing.starts_at.astimezone(UTC).isoformat(),
                    "days": days,
                },
                run_after=at,
            )
        )
    return planned


def still_due(hearing: Hearing | None, payload: dict[str, Any], now: datetime) -> bool:
    """Return whether a planned reminder is still to be sent: the hearing is still to be held,
    at the time the reminder was planned for, and has not started."""
    if hearing is None or hearing.status is not HearingStatus.SCHEDULED:
        return False
    if hearing.sequence != payload.get("sequence"):
        return False
    try:
        planned_start = datetime.fromisoformat(str(payload.get("starts_at")))
    except ValueError:
        return False
    return hearing.starts_at == planned_start and now < hearing.starts_at


async def send_reminders(
    db: AsyncSession, outbox: Outbox, payload: dict[str, Any], now: datetime | None = None
) -> list[OutboxMessage]:
    """Send a planned reminder to every participant, or nothing if the hearing changed."""
    now = now or utcnow()
    try:
        hearing_id = uuid.UUID(str(payload.get("hearing_id")))
    except ValueError:
        return []
    hearing = await db.get(Hearing, hearing_id)
    if hearing is None or not still_due(hearing, payload, now):
        return []
    tribunal = await db.get_one(Tribunal, hearing.tribunal_id)
    filing = await db.get_one(Filing, hearing.filing_id)
    facts = await facts_of(db, tribunal, filing, hearing)
    return [
        _queue_notice(
            db,
            outbox,
            facts,
            participant,
            REMINDER_TEMPLATE,
            "reminder",
            now,
            with_invite=False,
            days_before=int(payload.get("days", 0)),
        )
        for participant in _recipients(await participants_of(db, tribunal, filing, hearing))
    ]


@jobs.handler(REMINDER_JOB)
async def _reminder_job(context: jobs.JobContext) -> None:
    await send_reminders(context.db, context.outbox, context.job.payload)


# -- the notices of a case, resending ---------------------------------------------------------


async def hearings_of(db: AsyncSession, tribunal: Tribunal, filing: Filing) -> list[Hearing]:
    """Return the case's hearings, the latest first."""
    rows = await db.scalars(
        select(Hearing)
        .where(Hearing.tribunal_id == tribunal.id, Hearing.filing_id == filing.id)
        .order_by(Hearing.starts_at.desc(), Hearing.id)
    )
    return list(rows)


async def hearing_of(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, hearing_id: uuid.UUID
) -> Hearing | None:
    """Return the case's hearing with this id, or None (another case's, another tribunal's)."""
    found: Hearing | None = await db.scalar(
        select(Hearing).where(
            Hearing.id == hearing_id,
            Hearing.tribunal_id == tribunal.id,
            Hearing.filing_id == filing.id,
        )
    )
    return found


@dataclass(frozen=True)
class RecipientRow:
    """A participant of a hearing and the last notice or reminder sent to them, if any."""

    participant: Participant
    latest: OutboxMessage | None


async def recipient_rows(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, hearing: Hearing
) -> list[RecipientRow]:
    """Return each participant of the hearing with the latest notice or reminder of this
    hearing sent to them (those sent from its booking until the case's next hearing)."""
    participants = await participants_of(db, tribunal, filing, hearing)
    later = await db.scalar(
        select(Hearing.created_at)
        .where(
            Hearing.tribunal_id == tribunal.id,
            Hearing.filing_id == filing.id,
            Hearing.created_at > hearing.created_at,
        )
        .order_by(Hearing.created_at)
        .limit(1)
    )
    query = select(OutboxMessage).where(
        OutboxMessage.tribunal_id == tribunal.id,
        OutboxMessage.case_id == filing.id,
        OutboxMessage.template.in_(NOTICE_TEMPLATES),
        OutboxMessage.created_at >= hearing.created_at,
    )
    if later is not None:
        query = query.where(OutboxMessage.created_at < later)
    latest: dict[str, OutboxMessage] = {}
    for message in await db.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)):
        latest[message.to_address.strip().lower()] = message
    return [
        RecipientRow(participant, latest.get(participant.email.strip().lower()))
        for participant in participants
    ]


class ResendRefused(Exception):  # noqa: N818 - reads as what happened
    """The notice cannot be resent to that recipient; the message says why."""


async def resend_notice(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    recipient_key: str,
    *,
    actor: User,
    actor_role: str,
    now: datetime | None = None,
) -> tuple[Participant, OutboxMessage]:
    """Send the hearing's current notice (with its invitation) again to one participant;
    return them and the message. Raises ResendRefused, with nothing changed, for someone
    who is not a participant of this hearing or has no email address."""
    now = now or utcnow()
    participants = await participants_of(db, tribunal, filing, hearing)
    participant = next((p for p in participants if p.key == recipient_key), None)
    if participant is None:
        raise ResendRefused(_("Choose a participant of this hearing"))
    if not participant.email:
        raise ResendRefused(
            _("%(name)s has no email address: print the notice and post it", name=participant.name)
        )
    if hearing.status is HearingStatus.HELD:
        raise ResendRefused(_("This hearing has been held: there is no notice to resend"))
    change = kind_of(hearing)
    facts = await facts_of(db, tribunal, filing, hearing)
    message = _queue_notice(
        db,
        outbox,
        facts,
        participant,
        TEMPLATES[change],
        change.value,
        now,
        reason=hearing.status_reason if change is not HearingChange.BOOKED else "",
    )
    audit.record(
        db,
        AuditAction.HEARING_NOTICE_RESENT,
        actor_id=actor.id,
        actor_role=actor_role,
        tribunal_id=tribunal.id,
        subject_type="hearing",
        subject_id=hearing.id,
        case_id=filing.id,
        recipient_role=participant.role.value,
        message_id=str(message.id),
    )
    return participant, message


def calendar_file(
    outbox: Outbox, facts: HearingFacts, participant: Participant, now: datetime | None = None
) -> str:
    """Return the hearing's calendar file for a participant, in its current state (a request,
    or a cancellation once cancelled or adjourned), in the current language."""
    notice = notice_for(outbox, facts, participant, kind_of(facts.hearing).value)
    calendar, _method = invite_for(outbox, facts, participant, notice, now or utcnow())
    return calendar
