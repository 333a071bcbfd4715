"""Text message reminders: a person's mobile number, its confirmation and their consent;
STOP and START; the provider's received texts and delivery receipts; the reminders.

The rules every text keeps:

- nothing is texted to a number before it is confirmed, except the code that confirms it;
- no reminder goes without the person's consent, nor once they stopped texts (STOP, ARRÊT,
  ARRET, END or UNSUBSCRIBE by text, or the account page), nor to a number the provider
  reported as opted out or failing for good;
- a reminder is written in one language, the person's for the case, and says only the
  tribunal's short name, the date (and a hearing's time, in the person's zone) and a link:
  no reference, no names, nothing of the case;
- each reminder is sent once (``TextReminder.key``), never between 21:00 and 08:00 in the
  person's zone (``tribune.texts`` holds it until the morning);
- a reminder whose text fails goes by email instead, unless it already went by email (a
  hearing's own email reminder).

Reminders, planned by the recurring job ``accountability.texts.remind`` (every 5 minutes):

- hearings: on the days the tribunal's email reminders go (``HearingSettings.reminder_days``,
  7 and 1 days before by default), at the same time (the hearing's local time of day, that
  many days before), to each participant with an account: the parties and their authorised
  representatives, and the adjudicator. As for email, a reminder whose time had passed when
  the hearing was booked or last changed is not sent, nor one for a hearing that changed
  since (its key names the hearing's sequence and start);
- deadlines: a case's ``due_on`` reminds the parties it is due from (and their authorised
  representatives) 3 days before and on the day, from 09:00 in the tribunal's zone. Three days
  leave a working person an evening and a weekend day to act on a returned filing or a
  response; the day itself catches the one who forgot. No reminder a week ahead: the notice
  that set the date (10 or 20 business days before) is still recent then.
"""

from __future__ import annotations

import enum
import hmac
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.texts.forms import canadian_mobile
from accountability.texts.models import (
    ConsentAction,
    ConsentChannel,
    MobileNumber,
    ReminderKind,
    StopReason,
    TextConsentEvent,
    TextReminder,
)
from accounts.models import User
from filings import lifecycle
from filings.models import CaseParty, DueFrom, Filing, FilingStatus, PartyRole
from hearings.models import DEFAULT_REMINDER_DAYS, Hearing, HearingSettings, HearingStatus
from hearings.notices.services import REMINDER_TEMPLATE, reminder_time
from hearings.times import clock, valid_zone
from tribunals.models import Tribunal
from tribune import i18n, ratelimits, texts
from tribune.db import utcnow
from tribune.i18n import gettext as _
from tribune.mail import Outbox, OutboxMessage
from tribune.security import keyed_hash
from tribune.settings import Settings
from tribune.texts import TextMessage, TextStatus

CODE_VALID_FOR = timedelta(minutes=10)
MAX_CODE_TRIES = 5
# A person may have a few codes sent an hour, and a number may be sent a few: enough for a
# typo and a slow network, too few to use the platform to pester someone else's phone.
CODES_PER_PERSON = ratelimits.Limit("text-codes-per-person", 3, timedelta(hours=1))
CODES_PER_NUMBER = ratelimits.Limit("text-codes-per-number", 5, timedelta(hours=1))

STOP_WORDS = frozenset({"stop", "arrêt", "arret", "end", "unsubscribe"})
START_WORDS = frozenset({"start"})

# What each text is for (TextMessage.kind).
CODE_KIND = "confirmation_code"
STOPPED_KIND = "stopped"
STARTED_KIND = "started"
HEARING_KIND = "hearing_reminder"
DEADLINE_KIND = "deadline_reminder"
# The email a failed reminder goes as instead (templates/mail/<name>.txt).
FALLBACK_TEMPLATE = "text_reminder"

DEADLINE_DAYS = (3, 0)
DEADLINE_HOUR = time(9, 0)
# The states in which a case can owe something (a draft or a closed case owes nothing).
OWING_STATES = frozenset(
    {FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.ACCEPTED, FilingStatus.SCHEDULED}
)


# -- the person's number ------------------------------------------------------------------------


async def number_of(db: AsyncSession, user: User) -> MobileNumber | None:
    """Return the person's mobile number, or None if they gave none."""
    found: MobileNumber | None = await db.scalar(
        select(MobileNumber).where(MobileNumber.user_id == user.id)
    )
    return found


def _record(
    db: AsyncSession,
    mobile: MobileNumber,
    action: ConsentAction,
    channel: ConsentChannel,
    now: datetime,
) -> None:
    db.add(
        TextConsentEvent(
            user_id=mobile.user_id,
            number=mobile.number,
            action=action,
            channel=channel,
            occurred_at=now,
        )
    )


async def consent_history(db: AsyncSession, user: User) -> list[TextConsentEvent]:
    """Return the person's consent events, the latest first."""
    rows = await db.scalars(
        select(TextConsentEvent)
        .where(TextConsentEvent.user_id == user.id)
        .order_by(TextConsentEvent.occurred_at.desc(), TextConsentEvent.id)
        .limit(20)
    )
    return list(rows)


class NumberRefused(Exception):  # noqa: N818 - reads as what happened
    """No code can be sent to that number now; the message says why, and nothing changed."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


# Why a number gets no text at all, whoever asks (a STOP on the account page only stops that
# account's reminders).
NUMBER_BLOCKED = (StopReason.TEXTED, StopReason.OPTED_OUT, StopReason.FAILED)


async def _number_stopped(db: AsyncSession, number: str) -> bool:
    """Return whether the number's owner texted STOP, or the provider cannot reach it."""
    stopped = await db.scalar(
        select(MobileNumber.id)
        .where(
            MobileNumber.number == number,
            MobileNumber.stopped_at.is_not(None),
            MobileNumber.stop_reason.in_(NUMBER_BLOCKED),
        )
        .limit(1)
    )
    return stopped is not None


async def set_number(
    db: AsyncSession, settings: Settings, user: User, number: str, now: datetime | None = None
) -> MobileNumber:
    """Give the person this number (a new one replaces the old: it must be confirmed, and
    consented to, again) and text it a code. Raises NumberRefused, with nothing changed."""
    now = now or utcnow()
    mobile = await number_of(db, user)
    if mobile is not None and mobile.number == number and mobile.is_confirmed:
        raise NumberRefused(_("This is already your confirmed number"), 409)
    if await _number_stopped(db, number) and (mobile is None or mobile.number != number):
        raise NumberRefused(_stopped_message(), 409)
    if mobile is None:
        mobile = MobileNumber(user_id=user.id, number=number)
        db.add(mobile)
    elif mobile.number != number:
        old = mobile.number
        if mobile.consented_at is not None and mobile.stopped_at is None:
            _record(db, mobile, ConsentAction.REMOVED, ConsentChannel.ACCOUNT, now)
        mobile.number = number
        mobile.confirmed_at = None
        mobile.consented_at = None
        mobile.stopped_at = None
        mobile.stop_reason = None
        await _cancel_unless_taken(db, old, now)
    await send_code(db, settings, user, mobile, now)
    return mobile


def _stopped_message() -> str:
    return _(
        "This number asked us to stop sending texts. Reply START to one of our earlier texts "
        "first, then try again"
    )


async def send_code(
    db: AsyncSession,
    settings: Settings,
    user: User,
    mobile: MobileNumber,
    now: datetime | None = None,
) -> TextMessage:
    """Text a new 6-digit code to the person's unconfirmed number (the earlier one no longer
    works). Raises NumberRefused, with nothing changed, past the hourly limits or when the
    number asked for no texts."""
    now = now or utcnow()
    if mobile.is_confirmed:
        raise NumberRefused(_("This number is already confirmed"), 409)
    if await _number_stopped(db, mobile.number):
        raise NumberRefused(_stopped_message(), 409)
    try:
        await ratelimits.take(
            db,
            settings.secret_key,
            [(CODES_PER_PERSON, f"person:{user.id}"), (CODES_PER_NUMBER, mobile.number)],
        )
    except ratelimits.LimitReachedError:
        raise NumberRefused(
            _("We have sent several codes recently. Wait an hour before asking again."), 429
        ) from None
    code = f"{secrets.randbelow(10**6):06d}"
    mobile.code_hash = _code_hash(settings, mobile, code)
    mobile.code_sent_at = now
    mobile.code_expires_at = now + CODE_VALID_FOR
    mobile.code_tries = 0
    mobile.code_used_at = None
    language = _language_of(user.language)
    with i18n.use_language(language):
        body = _(
            "Tribune: your confirmation code is %(code)s. It expires in 10 minutes. If you did "
            "not ask for it, ignore this message.",
            code=code,
        )
    # The person is waiting for it: a code is never held for quiet hours.
    return texts.queue(
        db, to=mobile.number, language=language, kind=CODE_KIND, body=body, sensitive=True, now=now
    )


def _code_hash(settings: Settings, mobile: MobileNumber, code: str) -> str:
    # Keyed, and bound to the person's row and number: a code is good for nothing else.
    return keyed_hash(settings.secret_key, "text-code", f"{mobile.id}:{mobile.number}:{code}")


class CodeProblem(enum.Enum):
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too_many_tries"
    USED = "used"
    NONE = "none"  # no code was sent, or the number is already confirmed


class CodeRefused(Exception):  # noqa: N818 - reads as what happened
    """The code does not confirm the number; ``problem`` says why. Only a wrong try changes
    anything: it counts towards the limit."""

    def __init__(self, problem: CodeProblem, tries_left: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.tries_left = tries_left

    @property
    def message(self) -> str:
        """What the page says, in the person's language."""
        if self.problem is CodeProblem.WRONG:
            return _(
                "This code is not right. Check the code in our last text and try again "
                "(tries left: %(count)s)",
                count=self.tries_left,
            )
        if self.problem is CodeProblem.EXPIRED:
            return _("This code has expired. Ask for a new code")
        if self.problem is CodeProblem.TOO_MANY_TRIES:
            return _("You have entered a wrong code too many times. Ask for a new code")
        if self.problem is CodeProblem.USED:
            return _("This code has already been used. Your number is confirmed")
        return _("Ask for a code first")

    @property
    def status_code(self) -> int:
        return {
            CodeProblem.WRONG: 422,
            CodeProblem.EXPIRED: 422,
            CodeProblem.TOO_MANY_TRIES: 429,
            CodeProblem.USED: 409,
            CodeProblem.NONE: 409,
        }[self.problem]


def confirm(
    settings: Settings,
    mobile: MobileNumber,
    code: str,
    now: datetime | None = None,
) -> None:
    """Confirm the number with the code texted to it. Raises CodeRefused: a wrong code counts
    a try (the caller keeps that count despite the refusal); an expired code, one tried too
    often or already used changes nothing."""
    now = now or utcnow()
    if mobile.code_hash is None:
        raise CodeRefused(CodeProblem.NONE)
    matches = hmac.compare_digest(_code_hash(settings, mobile, code), mobile.code_hash)
    if mobile.code_used_at is not None:
        raise CodeRefused(CodeProblem.USED if matches else CodeProblem.NONE)
    if mobile.code_tries >= MAX_CODE_TRIES:
        raise CodeRefused(CodeProblem.TOO_MANY_TRIES)
    if mobile.code_expires_at is None or now >= mobile.code_expires_at:
        raise CodeRefused(CodeProblem.EXPIRED)
    if not matches:
        mobile.code_tries += 1
        left = MAX_CODE_TRIES - mobile.code_tries
        raise CodeRefused(CodeProblem.WRONG if left > 0 else CodeProblem.TOO_MANY_TRIES, left)
    mobile.confirmed_at = now
    mobile.code_used_at = now


class ConsentRefused(Exception):  # noqa: N818 - reads as what happened
    """Reminders cannot be turned on for this number; nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def give_consent(db: AsyncSession, mobile: MobileNumber, now: datetime | None = None) -> None:
    """Turn text reminders on for a confirmed number (again, after a STOP), recording the
    consent and its time. Raises ConsentRefused for an unconfirmed number or one the
    provider cannot deliver to."""
    now = now or utcnow()
    if not mobile.is_confirmed:
        raise ConsentRefused(_("Confirm your number before you turn text reminders on"))
    if mobile.stop_reason is StopReason.FAILED:
        raise ConsentRefused(
            _("Our texts could not be delivered to this number. Change your number to try again")
        )
    if mobile.takes_reminders:
        return  # already on: a second click records nothing
    again = mobile.consented_at is not None
    mobile.consented_at = now
    mobile.stopped_at = None
    mobile.stop_reason = None
    _record(
        db,
        mobile,
        ConsentAction.STARTED if again else ConsentAction.CONSENTED,
        ConsentChannel.ACCOUNT,
        now,
    )


async def stop(db: AsyncSession, mobile: MobileNumber, now: datetime | None = None) -> None:
    """Stop text reminders from the account page; texts waiting for the number are cancelled."""
    now = now or utcnow()
    if mobile.stopped_at is not None or mobile.consented_at is None:
        return
    mobile.stopped_at = now
    mobile.stop_reason = StopReason.PERSON
    _record(db, mobile, ConsentAction.STOPPED, ConsentChannel.ACCOUNT, now)
    await _cancel_unless_taken(db, mobile.number, now, leaving=mobile.id)


async def remove(db: AsyncSession, mobile: MobileNumber, now: datetime | None = None) -> None:
    """Remove the person's number: no more texts to it on their account (the consent history
    is kept)."""
    now = now or utcnow()
    if mobile.is_confirmed:
        _record(db, mobile, ConsentAction.REMOVED, ConsentChannel.ACCOUNT, now)
    await _cancel_unless_taken(db, mobile.number, now, leaving=mobile.id)
    await db.execute(delete(MobileNumber).where(MobileNumber.id == mobile.id))


async def _cancel_unless_taken(
    db: AsyncSession, number: str, now: datetime, leaving: uuid.UUID | None = None
) -> None:
    """Cancel the texts waiting for a number, unless another account still takes reminders
    at it (texts do not say whose they are)."""
    others = await db.scalars(
        select(MobileNumber).where(MobileNumber.number == number, MobileNumber.id != leaving)
    )
    if not any(other.takes_reminders for other in others):
        await texts.cancel_queued(db, number, now)


# -- texts the person sends: STOP, START ----------------------------------------------------


class InboundOutcome(enum.Enum):
    STOPPED = "stopped"
    STARTED = "started"
    IGNORED = "ignored"  # an unknown number, another word, or nothing to change


def keyword_of(message: str) -> str:
    """Return a received text as a keyword: trimmed, in any case, accents composed alike."""
    return unicodedata.normalize("NFC", message).strip().strip(".!").strip().casefold()


async def handle_received(
    db: AsyncSession, source_number: str, message: str, now: datetime | None = None
) -> InboundOutcome:
    """Act on a text the person sent: a stop word stops every text to the number at once
    (those waiting are cancelled) and START starts reminders again for whoever had consented;
    each with one confirmation in the person's language, sent only to a confirmed number.
    Another word, an unknown number, or nothing to change: IGNORED."""
    now = now or utcnow()
    number = canadian_mobile(source_number)
    word = keyword_of(message)
    if number is None or word not in STOP_WORDS | START_WORDS:
        return InboundOutcome.IGNORED
    rows = list(
        await db.scalars(
            select(MobileNumber)
            .where(MobileNumber.number == number)
            .order_by(MobileNumber.created_at, MobileNumber.id)
        )
    )
    if word in STOP_WORDS:
        changed = [row for row in rows if row.stop_reason is not StopReason.TEXTED]
        for row in changed:
            row.stopped_at = now
            row.stop_reason = StopReason.TEXTED
            if row.consented_at is not None:
                _record(db, row, ConsentAction.STOPPED, ConsentChannel.TEXT, now)
        if not changed:
            return InboundOutcome.IGNORED
        await texts.cancel_queued(db, number, now)
        await _confirm_by_text(db, number, changed, STOPPED_KIND, now)
        return InboundOutcome.STOPPED
    changed = [row for row in rows if row.stopped_at is not None]
    restarted = []
    for row in changed:
        row.stopped_at = None
        row.stop_reason = None
        # START is consent again, but only from someone who had consented: it never turns
        # reminders on for an account that did not ask for them.
        if row.consented_at is not None and row.is_confirmed:
            row.consented_at = now
            _record(db, row, ConsentAction.STARTED, ConsentChannel.TEXT, now)
            restarted.append(row)
    if not changed:
        return InboundOutcome.IGNORED
    await _confirm_by_text(db, number, restarted, STARTED_KIND, now)
    return InboundOutcome.STARTED


async def _confirm_by_text(
    db: AsyncSession, number: str, rows: list[MobileNumber], kind: str, now: datetime
) -> TextMessage | None:
    """Send one confirmation to the number, in the language of its first confirmed owner; none
    to a number nobody confirmed (only a code ever goes to one)."""
    confirmed = [row for row in rows if row.is_confirmed]
    if not confirmed:
        return None
    owner = await db.get(User, confirmed[0].user_id)
    language = _language_of(owner.language if owner else None)
    with i18n.use_language(language):
        if kind == STOPPED_KIND:
            body = _(
                "Tribune: you will get no more text messages from us. Reply START to get them "
                "again."
            )
        else:
            body = _("Tribune: text message reminders are on again. Reply STOP to stop them.")
    return texts.queue(db, to=number, language=language, kind=kind, body=body, now=now)


# -- delivery receipts ----------------------------------------------------------------------


# What a receipt's details say of a number whose owner opted out with their carrier.
_OPTED_OUT_WORDS = ("opted out", "opted-out", "opted_out", "opt-out", "optout")


async def handle_receipt(
    db: AsyncSession,
    outbox: Outbox,
    *,
    provider_id: str,
    reference: str,
    status: str,
    detail: str,
    now: datetime | None = None,
) -> TextMessage | None:
    """Record a delivery receipt on its text (and so in its case's delivery log); a failure
    stops texts to a number the provider cannot reach and sends the reminder by email (see
    ``text_failed``). Return the text, or None if the receipt is none of ours."""
    now = now or utcnow()
    recorded = await texts.record_receipt(
        db, reference=reference, provider_id=provider_id, status=status, detail=detail, now=now
    )
    if recorded is None:
        return None
    if recorded.changed and recorded.message.status in texts.FAILED:
        await texts.failed(db, outbox, recorded.message, now)
    return recorded.message


@texts.on_failure
async def text_failed(
    db: AsyncSession, outbox: Outbox, message: TextMessage, now: datetime
) -> None:
    """A text failed: a permanent failure (or a carrier's opt-out) stops texts to the number
    at once; a reminder goes by email instead, unless it went by email already."""
    if message.status is TextStatus.PERMANENT_FAILURE:
        opted_out = any(word in message.provider_status.lower() for word in _OPTED_OUT_WORDS)
        reason = StopReason.OPTED_OUT if opted_out else StopReason.FAILED
        action = ConsentAction.OPTED_OUT if opted_out else ConsentAction.FAILED
        for row in await db.scalars(
            select(MobileNumber).where(MobileNumber.number == message.to_number)
        ):
            if row.stopped_at is None or row.stop_reason is not reason:
                row.stopped_at = now
                row.stop_reason = reason
                _record(db, row, action, ConsentChannel.PROVIDER, now)
        await texts.cancel_queued(db, message.to_number, now)
    reminder = await db.scalar(
        select(TextReminder).where(TextReminder.text_message_id == message.id)
    )
    if reminder is not None:
        await email_instead(db, outbox, reminder, now)


async def email_instead(
    db: AsyncSession, outbox: Outbox, reminder: TextReminder, now: datetime
) -> OutboxMessage | None:
    """Send a reminder whose text failed by email, once; none if the person has no address or
    already had it by email (a hearing's own reminder, sent since the reminder was due).
    Return the email queued, or None."""
    if reminder.emailed_at is not None or not reminder.email:
        return None
    if reminder.kind is ReminderKind.HEARING:
        emailed = await db.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.case_id == reminder.filing_id,
                OutboxMessage.template == REMINDER_TEMPLATE,
                OutboxMessage.to_address == reminder.email,
                OutboxMessage.created_at >= reminder.due_at - timedelta(minutes=5),
            )
            .limit(1)
        )
        if emailed is not None:
            reminder.emailed_at = now  # it went: nothing to add
            return None
    tribunal = await db.get_one(Tribunal, reminder.tribunal_id)
    filing = await db.get_one(Filing, reminder.filing_id)
    user = await db.get(User, reminder.user_id)
    zone = _zone_of(user, tribunal)
    with i18n.use_language(reminder.language):
        when = (
            _when(reminder.starts_at, zone)
            if reminder.starts_at is not None
            else i18n.format_date(reminder.due_on or reminder.due_at.date(), "full")
        )
    reminder.emailed_at = now
    return outbox.queue(
        db,
        to=reminder.email,
        language=reminder.language,
        template=FALLBACK_TEMPLATE,
        context={
            "kind": reminder.kind.value,
            "tribunal": tribunal,
            "when": when,
            "url": _case_url(outbox, tribunal, filing, staff=False),
        },
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )


# -- the reminders --------------------------------------------------------------------------


def _language_of(code: str | None, fallback: str = "en") -> str:
    if code in i18n.LANGUAGES:
        return str(code)
    return fallback if fallback in i18n.LANGUAGES else "en"


def _zone_of(user: User | None, tribunal: Tribunal) -> str:
    """The person's zone for their texts: their account's, else the tribunal's."""
    if user is not None and user.time_zone and valid_zone(user.time_zone):
        return user.time_zone
    return tribunal.time_zone


def _when(starts_at: datetime, zone: str) -> str:
    return _(
        "%(day)s at %(time)s",
        day=i18n.format_date(starts_at, "full", zone),
        time=clock(starts_at, zone),
    )


def _short_name(tribunal: Tribunal) -> str:
    return i18n.localised(tribunal, "short_name") or tribunal.reference_prefix


def _case_url(outbox: Outbox, tribunal: Tribunal, filing: Filing, *, staff: bool) -> str:
    name = "filings:casework:case" if staff else "filings:journey:case"
    return outbox.url(name, tribunal=tribunal.slug, filing_id=filing.id)


@dataclass(frozen=True)
class Recipient:
    """Someone a reminder of a case goes to: their account, the language they read the case
    in, the address a failed reminder is emailed to, and whether they are staff."""

    user: User
    language: str
    email: str
    staff: bool = False


async def _recipients(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    *,
    roles: set[PartyRole],
    adjudicator_id: uuid.UUID | None = None,
) -> list[Recipient]:
    """Return the accounts a reminder of the case goes to: the parties of ``roles``, the
    representatives acting for them, and the adjudicator; each account once."""
    parties = await lifecycle.parties_of(db, filing)
    chosen: list[CaseParty] = []
    for party in parties:
        if party.role is PartyRole.REPRESENTATIVE:
            if not party.is_authorised:
                continue
            represented = next((p for p in parties if p.id == party.represents_id), None)
            if represented is None or represented.role not in roles:
                continue
        elif party.role not in roles:
            continue
        chosen.append(party)
    user_ids = {party.user_id for party in chosen if party.user_id is not None}
    if adjudicator_id is not None:
        user_ids.add(adjudicator_id)
    if not user_ids:
        return []
    users = {user.id: user for user in await db.scalars(select(User).where(User.id.in_(user_ids)))}
    default = _language_of(tribunal.default_language)
    found: list[Recipient] = []
    seen: set[uuid.UUID] = set()
    for party in chosen:
        user = users.get(party.user_id) if party.user_id is not None else None
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        language = _language_of(party.language, _language_of(user.language, default))
        found.append(Recipient(user, language, party.email or user.email))
    adjudicator = users.get(adjudicator_id) if adjudicator_id is not None else None
    if adjudicator is not None and adjudicator.id not in seen:
        found.append(
            Recipient(
                adjudicator, _language_of(adjudicator.language, default), adjudicator.email, True
            )
        )
    return found


async def _numbers_of(db: AsyncSession, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, MobileNumber]:
    """Return the numbers reminders may go to, by person: confirmed, consented, not stopped."""
    if not user_ids:
        return {}
    rows = await db.scalars(
        select(MobileNumber).where(
            MobileNumber.user_id.in_(user_ids),
            MobileNumber.confirmed_at.is_not(None),
            MobileNumber.consented_at.is_not(None),
            MobileNumber.stopped_at.is_(None),
        )
    )
    return {row.user_id: row for row in rows}


async def _already_sent(db: AsyncSession, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(await db.scalars(select(TextReminder.key).where(TextReminder.key.in_(keys))))


@dataclass(frozen=True)
class Planned:
    """A reminder to text: what it is about and who gets it."""

    key: str
    kind: ReminderKind
    recipient: Recipient
    tribunal: Tribunal
    filing: Filing
    days_before: int
    due_at: datetime
    hearing: Hearing | None = None
    due_on: date | None = None


async def _send(
    db: AsyncSession,
    outbox: Outbox,
    planned: list[Planned],
    now: datetime,
) -> list[TextReminder]:
    """Text each planned reminder that was not sent before, to a number that takes them."""
    numbers = await _numbers_of(db, {item.recipient.user.id for item in planned})
    sent_before = await _already_sent(db, [item.key for item in planned])
    made: list[TextReminder] = []
    for item in planned:
        mobile = numbers.get(item.recipient.user.id)
        if mobile is None or item.key in sent_before:
            continue
        sent_before.add(item.key)
        made.append(await _text_reminder(db, outbox, item, mobile, now))
    return made


async def _text_reminder(
    db: AsyncSession, outbox: Outbox, item: Planned, mobile: MobileNumber, now: datetime
) -> TextReminder:
    # Guarded again here: whatever planned it, only a number that takes reminders gets one.
    if not mobile.takes_reminders:
        raise ValueError("a reminder was planned for a number that does not take reminders")
    recipient, tribunal = item.recipient, item.tribunal
    zone = _zone_of(recipient.user, tribunal)
    link = _case_url(outbox, tribunal, item.filing, staff=recipient.staff)
    with i18n.use_language(recipient.language):
        if item.hearing is not None:
            body = _(
                "%(tribunal)s: reminder of your hearing on %(when)s. %(link)s",
                tribunal=_short_name(tribunal),
                when=_when(item.hearing.starts_at, zone),
                link=link,
            )
        else:
            assert item.due_on is not None
            body = _(
                "%(tribunal)s: reminder of a deadline on your case: %(day)s. %(link)s",
                tribunal=_short_name(tribunal),
                day=i18n.format_date(item.due_on, "full"),
                link=link,
            )
    message = texts.queue(
        db,
        to=mobile.number,
        language=recipient.language,
        kind=HEARING_KIND if item.hearing is not None else DEADLINE_KIND,
        body=body,
        quiet_hours=True,
        time_zone=zone,
        tribunal_id=tribunal.id,
        case_id=item.filing.id,
        now=now,
    )
    # The text's row first: the reminder refers to it, and nothing tells the session so.
    await db.flush()
    reminder = TextReminder(
        key=item.key,
        kind=item.kind,
        user_id=recipient.user.id,
        tribunal_id=tribunal.id,
        filing_id=item.filing.id,
        hearing_id=item.hearing.id if item.hearing is not None else None,
        text_message_id=message.id,
        days_before=item.days_before,
        due_at=item.due_at,
        starts_at=item.hearing.starts_at if item.hearing is not None else None,
        due_on=item.due_on,
        language=recipient.language,
        email=recipient.email,
    )
    db.add(reminder)
    return reminder


def hearing_key(hearing: Hearing, days: int, user_id: uuid.UUID) -> str:
    """Name a hearing reminder: the hearing as booked (its sequence and start), the days
    before, the person. A moved hearing gets reminders of its own."""
    start = hearing.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M")
    return f"hearing:{hearing.id}:{hearing.sequence}:{start}:{days}:{user_id}"


def deadline_key(filing: Filing, days: int, user_id: uuid.UUID) -> str:
    """Name a deadline reminder: the case, what is due and when, the days before, the person."""
    assert filing.due_on is not None
    return (
        f"deadline:{filing.id}:{filing.due_on.isoformat()}:{filing.due_for or ''}:{days}:{user_id}"
    )


def due_reminder_days(days: list[int], starts_at: datetime, zone: str, now: datetime) -> int | None:
    """Return the reminder due now of a hearing: the days-before of the latest reminder time
    passed (an earlier one passed too is not sent late), or None if none has passed."""
    for day in sorted(days):
        if reminder_time(starts_at, day, zone) <= now:
            return day
    return None


async def plan_hearing_reminders(
    db: AsyncSession, outbox: Outbox, now: datetime | None = None
) -> list[TextReminder]:
    """Text the hearing reminders due now (see the module's note)."""
    now = now or utcnow()
    settings = {
        row.tribunal_id: list(row.reminder_days or [])
        for row in await db.scalars(select(HearingSettings))
    }
    horizon = max([*DEFAULT_REMINDER_DAYS, *(day for days in settings.values() for day in days)])
    rows = await db.execute(
        select(Hearing, Tribunal, Filing)
        .join(Tribunal, Tribunal.id == Hearing.tribunal_id)
        .join(Filing, Filing.id == Hearing.filing_id)
        .where(
            Hearing.status == HearingStatus.SCHEDULED,
            Hearing.starts_at > now,
            Hearing.starts_at <= now + timedelta(days=horizon + 1),
        )
        .order_by(Hearing.starts_at, Hearing.id)
    )
    planned: list[Planned] = []
    for hearing, tribunal, filing in rows:
        days = settings.get(tribunal.id, list(DEFAULT_REMINDER_DAYS))
        day = due_reminder_days(days, hearing.starts_at, tribunal.time_zone, now)
        if day is None:
            continue
        due_at = reminder_time(hearing.starts_at, day, tribunal.time_zone)
        if due_at <= hearing.updated_at:
            continue  # booked or changed after this reminder's time: its notice said as much
        for recipient in await _recipients(
            db,
            tribunal,
            filing,
            roles={PartyRole.CLAIMANT, PartyRole.RESPONDENT},
            adjudicator_id=hearing.adjudicator_id,
        ):
            planned.append(
                Planned(
                    key=hearing_key(hearing, day, recipient.user.id),
                    kind=ReminderKind.HEARING,
                    recipient=recipient,
                    tribunal=tribunal,
                    filing=filing,
                    days_before=day,
                    due_at=due_at,
                    hearing=hearing,
                )
            )
    return await _send(db, outbox, planned, now)


async def plan_deadline_reminders(
    db: AsyncSession, outbox: Outbox, now: datetime | None = None
) -> list[TextReminder]:
    """Text the deadline reminders due now (see the module's note)."""
    now = now or utcnow()
    today = now.date()
    rows = await db.execute(
        select(Filing, Tribunal)
        .join(Tribunal, Tribunal.id == Filing.tribunal_id)
        .where(
            Filing.due_on.is_not(None),
            # A day either side of UTC's: the tribunal's date may differ.
            Filing.due_on >= today - timedelta(days=1),
            Filing.due_on <= today + timedelta(days=max(DEADLINE_DAYS) + 1),
            Filing.due_from.in_([DueFrom.CLAIMANT, DueFrom.RESPONDENT]),
            Filing.status.in_(OWING_STATES),
        )
        .order_by(Filing.due_on, Filing.id)
    )
    planned: list[Planned] = []
    for filing, tribunal in rows:
        assert filing.due_on is not None
        zone = ZoneInfo(tribunal.time_zone)
        local = now.astimezone(zone)
        day = next(
            (d for d in DEADLINE_DAYS if filing.due_on - timedelta(days=d) == local.date()), None
        )
        if day is None or local.time() < DEADLINE_HOUR:
            continue
        due_at = datetime.combine(local.date(), DEADLINE_HOUR, tzinfo=zone).astimezone(UTC)
        role = PartyRole.CLAIMANT if filing.due_from is DueFrom.CLAIMANT else PartyRole.RESPONDENT
        for recipient in await _recipients(db, tribunal, filing, roles={role}):
            planned.append(
                Planned(
                    key=deadline_key(filing, day, recipient.user.id),
                    kind=ReminderKind.DEADLINE,
                    recipient=recipient,
                    tribunal=tribunal,
                    filing=filing,
                    days_before=day,
                    due_at=due_at,
                    due_on=filing.due_on,
                )
            )
    return await _send(db, outbox, planned, now)
