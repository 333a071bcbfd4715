"""Feedback on the pages, the staff's answers, and the figures the annual report takes.

Anyone sends feedback from any page: a "Yes", a "No" with what they were trying to do, or a
problem. It is stored against the tribunal whose page it was (the path's first segment names
it), or the platform, with the sender's role and never their identity or network address; the
text loses its email addresses and personal numbers first (``scrubbing``). A network address
sends at most ``FEEDBACK_PER_ADDRESS`` an hour, counted under a keyed hash
(``tribune.ratelimits``). The tribunal's registry reads it, answers by email where an address
was left (in the feedback's language), and marks it handled.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, exists, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.feedback.models import (
    Feedback,
    FeedbackAnswer,
    FeedbackKind,
    SenderRole,
    SurveyAnswer,
    SurveyChoice,
)
from accountability.feedback.scrubbing import scrubbed
from accounts.models import User
from hearings.models import HearingMode
from tribunals.models import Tribunal
from tribunals.services import RESERVED_SLUGS, SLUG_PATTERN, roles_of, tribunal_by_slug
from tribune import audit, ratelimits
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.forms import parse_moment
from tribune.i18n import gettext as _
from tribune.mail import Outbox

# What a "No" or a problem may say, and a staff answer.
FEEDBACK_MAX_LENGTH = 1000
ANSWER_MAX_LENGTH = 5000
# A page's path longer than this is no page of ours.
PATH_MAX_LENGTH = 500
# Feedback from one network address: a person says what they have to say in a few messages;
# past this it is a flood, refused (429) with nothing stored.
FEEDBACK_PER_HOUR = 10
FEEDBACK_PER_ADDRESS = ratelimits.Limit(
    "feedback-per-address", FEEDBACK_PER_HOUR, timedelta(hours=1)
)
# Rows per page of the staff's list.
PAGE_SIZE = 25


class FeedbackRefused(Exception):  # noqa: N818 - reads as what happened
    """The act is not possible now (answer 409); nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def removed_marker() -> str:
    """Return what replaces a removed email address or number, in the current language."""
    return _("[removed]")


# -- sending feedback -------------------------------------------------------------------------


def page_path(value: str, home: str) -> str:
    """Return the path of a page of this site that a form names, without its query string or
    fragment (they can hold tokens or searches), or `home` if it names none: another site, a
    scheme, a protocol-relative or backslashed address, control characters, a path too long."""
    # Exactly one slash first: a path of this site, not "//another.site".
    leading_slashes = len(value) - len(value.lstrip("/"))
    if (
        leading_slashes != 1
        or "\\" in value
        or any(ord(char) < 32 or ord(char) == 127 for char in value)
    ):
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path or len(parts.path) > PATH_MAX_LENGTH:
        return home
    return parts.path


async def page_origin(
    db: AsyncSession, path: str, user: User | None
) -> tuple[Tribunal | None, SenderRole]:
    """Return the tribunal a page of that path belongs to (None: the platform's own), and the
    role of who sends feedback from it: public (not signed in), staff (of that tribunal) or
    party (anyone else signed in)."""
    segment = path.lstrip("/").split("/", 1)[0]
    tribunal = None
    if segment not in RESERVED_SLUGS and SLUG_PATTERN.match(segment):
        tribunal = await tribunal_by_slug(db, segment)
    if user is None:
        return tribunal, SenderRole.PUBLIC
    if tribunal is not None and await roles_of(db, user.id, tribunal.id):
        return tribunal, SenderRole.STAFF
    return tribunal, SenderRole.PARTY


@dataclass(frozen=True)
class FeedbackValues:
    path: str
    kind: FeedbackKind
    text: str
    contact_email: str | None


async def send_feedback(
    db: AsyncSession,
    secret_key: str,
    values: FeedbackValues,
    *,
    user: User | None,
    address: str,
    language: str,
) -> Feedback:
    """Store feedback from a page: against the page's tribunal (or the platform), with the
    sender's role, its text scrubbed of email addresses and personal numbers; return it.

    Raises LimitReachedError, storing nothing, if the network `address` already sent
    FEEDBACK_PER_HOUR within the hour. Neither the person nor the address is stored with it.
    """
    # Counted first, so that a flood costs no pattern matching.
    await ratelimits.take(db, secret_key, [(FEEDBACK_PER_ADDRESS, address)])
    tribunal, role = await page_origin(db, values.path, user)
    text = ""
    if values.kind is not FeedbackKind.HELPFUL and values.text:
        text = await scrubbed(values.text, removed_marker())
    feedback = Feedback(
        tribunal_id=tribunal.id if tribunal else None,
        path=values.path,
        language=language,
        kind=values.kind,
        text=text,
        contact_email=values.contact_email if values.kind is not FeedbackKind.HELPFUL else None,
        role=role,
    )
    db.add(feedback)
    return feedback


# -- the staff's list -------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    # "new" (not handled yet), "handled", or "all".
    status: str
    kind: FeedbackKind | None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status == "new":
            found.append(Feedback.handled_at.is_(None))
        elif self.status == "handled":
            found.append(Feedback.handled_at.is_not(None))
        if self.kind is not None:
            found.append(Feedback.kind == self.kind)
        return found


@dataclass(frozen=True)
class FeedbackRow:
    feedback: Feedback
    answered: bool


def encode_cursor(feedback: Feedback) -> str:
    return f"{feedback.created_at.astimezone(ZoneInfo('UTC')).isoformat()}_{feedback.id.hex}"


def decode_cursor(value: str) -> tuple[datetime, uuid.UUID] | None:
    """Return the moment and id a page cursor names, or None if it names none."""
    moment, _sep, identifier = value.partition("_")
    created = parse_moment(moment)
    try:
        return (created, uuid.UUID(identifier)) if created else None
    except ValueError:
        return None


def _answered() -> ColumnElement[bool]:
    return exists().where(FeedbackAnswer.feedback_id == Feedback.id)


async def feedback_rows(
    db: AsyncSession,
    tribunal: Tribunal,
    filters: ListFilters,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[FeedbackRow]:
    """Return the tribunal's feedback matching the filters, newest first, after a cursor
    (keyset: no OFFSET), in one query."""
    statement = select(Feedback, _answered()).where(
        Feedback.tribunal_id == tribunal.id, *filters.conditions()
    )
    if after is not None:
        statement = statement.where(tuple_(Feedback.created_at, Feedback.id) < tuple_(*after))
    rows = await db.execute(
        statement.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)
    )
    return [FeedbackRow(feedback, bool(answered)) for feedback, answered in rows]


async def feedback_of(
    db: AsyncSession, tribunal: Tribunal, feedback_id: uuid.UUID
) -> Feedback | None:
    """Return the tribunal's feedback with that id, or None (another tribunal's, the
    platform's or none)."""
    return (
        await db.execute(
            select(Feedback).where(Feedback.id == feedback_id, Feedback.tribunal_id == tribunal.id)
        )
    ).scalar_one_or_none()


async def answers_of(db: AsyncSession, feedback: Feedback) -> list[tuple[FeedbackAnswer, str]]:
    """Return the answers sent to the feedback, oldest first, with who sent each ("" if their
    account is gone)."""
    rows = await db.execute(
        select(FeedbackAnswer, User.name)
        .outerjoin(User, User.id == FeedbackAnswer.answered_by_id)
        .where(
            FeedbackAnswer.feedback_id == feedback.id,
            FeedbackAnswer.tribunal_id == feedback.tribunal_id,
        )
        .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
    )
    return [(answer, name or "") for answer, name in rows]


async def name_of(db: AsyncSession, user_id: uuid.UUID | None) -> str:
    """Return a person's name, or "" if there is no such person."""
    if user_id is None:
        return ""
    return (await db.scalar(select(User.name).where(User.id == user_id))) or ""


async def answer(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    feedback: Feedback,
    body: str,
    *,
    user: User,
    role: str,
) -> FeedbackAnswer:
    """Send an answer to the address the feedback left, in the feedback's language, and record
    it (who, when) with an audit entry; return it.

    Raises FeedbackRefused, with nothing sent, if the feedback left no address."""
    if not feedback.contact_email:
        raise FeedbackRefused(
            _("This feedback left no email address: there is nowhere to send an answer.")
        )
    sent = FeedbackAnswer(
        tribunal_id=tribunal.id, feedback_id=feedback.id, body=body, answered_by_id=user.id
    )
    db.add(sent)
    outbox.queue(
        db,
        to=feedback.contact_email,
        language=feedback.language,
        template="feedback_answer",
        context={
            "tribunal": tribunal,
            "sent_at": feedback.created_at,
            "page": feedback.path,
            "text": feedback.text,
            "answer": body,
            "contact_url": outbox.url("tribunals:home", tribunal=tribunal.slug) + "#contact",
        },
        tribunal_id=tribunal.id,
    )
    audit.record(
        db,
        AuditAction.FEEDBACK_ANSWERED,
        actor_id=user.id,
        actor_role=role,
        tribunal_id=tribunal.id,
        subject_type="feedback",
        subject_id=feedback.id,
    )
    return sent


async def mark_handled(
    db: AsyncSession,
    tribunal: Tribunal,
    feedback: Feedback,
    *,
    user: User,
    role: str,
) -> None:
    """Mark the feedback handled by the person, now, with an audit entry.

    Raises FeedbackRefused, with nothing changed, if it was handled already (two clerks
    clicking at once mark it once)."""
    now = utcnow()
    marked = await db.execute(
        update(Feedback)
        .where(
            Feedback.id == feedback.id,
            Feedback.tribunal_id == tribunal.id,
            Feedback.handled_at.is_(None),
        )
        .values(handled_at=now, handled_by_id=user.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise FeedbackRefused(_("This feedback was already marked as handled."))
    feedback.handled_at = now
    feedback.handled_by_id = user.id
    audit.record(
        db,
        AuditAction.FEEDBACK_HANDLED,
        actor_id=user.id,
        actor_role=role,
        tribunal_id=tribunal.id,
        subject_type="feedback",
        subject_id=feedback.id,
    )


# -- the figures of the annual report -----------------------------------------------------------


@dataclass(frozen=True)
class SatisfactionFigures:
    """The answers to a 1–5 question: how many, how many gave each score, their average."""

    answered: int
    distribution: dict[int, int]  # every score from 1 to 5, none left out
    average: float | None  # None when nobody answered


@dataclass(frozen=True)
class ChoiceFigures:
    """The answers to a yes / partly / no question: how many, how many gave each, the share
    of "yes"."""

    answered: int
    distribution: dict[SurveyChoice, int]  # every choice, none left out
    share_yes: float | None  # 0 to 1; None when nobody answered


@dataclass(frozen=True)
class FeedbackFigures:
    """What a tribunal heard from the people it serves over a period, for its annual report.

    Feedback counts what was sent from the tribunal's pages during the period (its dates in
    the tribunal's zone), by kind; of it, how much left an address, was answered (at least
    once, at any time since) and was marked handled. The survey counts the answers given in
    the months the period touches (answers keep their month only)."""

    first_day: date
    last_day: date
    received: dict[FeedbackKind, int]  # every kind, none left out
    with_contact: int
    answered: int
    handled: int
    surveys: int
    surveys_by_mode: dict[HearingMode, int]  # every mode, none left out
    satisfaction: SatisfactionFigures
    could_take_part: ChoiceFigures
    explained_clearly: ChoiceFigures

    @property
    def received_total(self) -> int:
        return sum(self.received.values())


def _moments(tribunal: Tribunal, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """Return the instants a period of local dates starts and ends at (the end excluded)."""
    zone = ZoneInfo(tribunal.time_zone)
    start = datetime.combine(first_day, time.min, zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, zone)
    return start, end


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


async def report_figures(
    db: AsyncSession, tribunal: Tribunal, first_day: date, last_day: date
) -> FeedbackFigures:
    """Return the feedback and survey figures of a tribunal from `first_day` to `last_day`
    (both included, in the tribunal's zone), counted in SQL: one query for the feedback, one
    per survey question and one for the hearing modes. Raises ValueError if the period ends
    before it starts."""
    if last_day < first_day:
        raise ValueError("the period ends before it starts")
    start, end = _moments(tribunal, first_day, last_day)
    received = dict.fromkeys(FeedbackKind, 0)
    totals = {"with_contact": 0, "answered": 0, "handled": 0}
    rows = await db.execute(
        select(
            Feedback.kind,
            func.count(),
            func.sum(case((Feedback.contact_email.is_not(None), 1), else_=0)),
            func.sum(case((_answered(), 1), else_=0)),
            func.sum(case((Feedback.handled_at.is_not(None), 1), else_=0)),
        )
        .where(
            Feedback.tribunal_id == tribunal.id,
            Feedback.created_at >= start,
            Feedback.created_at < end,
        )
        .group_by(Feedback.kind)
    )
    for kind, count, with_contact, answered, handled in rows:
        received[kind] = int(count)
        totals["with_contact"] += int(with_contact or 0)
        totals["answered"] += int(answered or 0)
        totals["handled"] += int(handled or 0)

    in_period = (
        SurveyAnswer.tribunal_id == tribunal.id,
        SurveyAnswer.month >= first_day.replace(day=1),
        SurveyAnswer.month <= last_day,
    )

    async def counts(column: Any) -> Sequence[tuple[Any, int]]:
        found = await db.execute(select(column, func.count()).where(*in_period).group_by(column))
        return [(value, int(count)) for value, count in found]

    scores = dict.fromkeys(range(1, 6), 0)
    for score, count in await counts(SurveyAnswer.satisfaction):
        scores[int(score)] = count
    answered = sum(scores.values())
    average = sum(score * n for score, n in scores.items()) / answered if answered else None

    def choices(found: Sequence[tuple[Any, int]]) -> ChoiceFigures:
        distribution = dict.fromkeys(SurveyChoice, 0)
        for choice, count in found:
            distribution[SurveyChoice(choice)] = count
        total = sum(distribution.values())
        return ChoiceFigures(total, distribution, _share(distribution[SurveyChoice.YES], total))

    modes = dict.fromkeys(HearingMode, 0)
    for mode, count in await counts(SurveyAnswer.hearing_mode):
        modes[HearingMode(mode)] = count
    return FeedbackFigures(
        first_day=first_day,
        last_day=last_day,
        received=received,
        with_contact=totals["with_contact"],
        answered=totals["answered"],
        handled=totals["handled"],
        surveys=answered,
        surveys_by_mode=modes,
        satisfaction=SatisfactionFigures(answered, scores, average),
        could_take_part=choices(await counts(SurveyAnswer.could_take_part)),
        explained_clearly=choices(await counts(SurveyAnswer.explained_clearly)),
    )
