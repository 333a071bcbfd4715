"""The hearing satisfaction survey: three questions each party answers once after a hearing.

When a hearing is held (its case moves to "heard", through ``filings.lifecycle``), each party
and acting representative with an email address gets, in their own language, a link to the
survey holding a random token; only the token's hash is stored, with the party, so each gets
one link per hearing. A link works once, for ``SURVEY_VALID_FOR``.

The answers are anonymous: they are stored apart from the invitation, with the tribunal, the
hearing's mode, the language answered in and the month only, never the party, the token, the
invitation or the time, so nobody can tie an answer to a person. (In a month with a single
answer for a mode and language, what the invitation table says about who answered and the
answer's month together still narrow it down: the report shows totals, not single answers.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.feedback.models import SurveyAnswer, SurveyChoice, SurveyInvitation
from accountability.feedback.scrubbing import scrubbed
from accountability.feedback.services import removed_marker
from accounts.models import User
from filings import lifecycle
from filings.access import Actor
from filings.models import CaseEvent, Filing
from hearings.models import Hearing, HearingStatus
from tribunals.models import Tribunal
from tribune.db import local_today, utcnow
from tribune.mail import Outbox
from tribune.security import hash_token, new_token

SURVEY_VALID_FOR = timedelta(days=60)
COMMENT_MAX_LENGTH = 500
# A token is 43 characters (tribune.security.new_token): anything much longer is none of ours.
TOKEN_MAX_LENGTH = 100


@lifecycle.on_move
async def invite_after_the_hearing(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    event: CaseEvent,
    user: User,
    actors: frozenset[Actor],
) -> None:
    """When a case moves to "heard", send its parties the survey about the hearing held."""
    if event.kind == "heard":
        await send_invitations(db, outbox, tribunal, filing)


async def send_invitations(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    *,
    now: datetime | None = None,
) -> list[SurveyInvitation]:
    """Invite each party and acting representative of the case with an email address (each
    address once) to the survey about its latest hearing held, in their language, unless they
    were invited about that hearing already; return the invitations made."""
    now = now or utcnow()
    # Columns, not the Hearing object: the outcome moved the hearing to "held" with an UPDATE
    # the session's copy of it does not show yet.
    held = (
        await db.execute(
            select(Hearing.id, Hearing.mode)
            .where(
                Hearing.filing_id == filing.id,
                Hearing.tribunal_id == tribunal.id,
                Hearing.status == HearingStatus.HELD,
            )
            .order_by(Hearing.starts_at.desc(), Hearing.id.desc())
            .limit(1)
        )
    ).one_or_none()
    if held is None:
        return []
    hearing_id, mode = held
    invited = set(
        (
            await db.scalars(
                select(SurveyInvitation.party_id).where(SurveyInvitation.hearing_id == hearing_id)
            )
        ).all()
    )
    made = []
    expires_at = now + SURVEY_VALID_FOR
    for party in lifecycle.parties_to_write_to(await lifecycle.parties_of(db, filing)):
        if party.id in invited:
            continue
        token = new_token()
        invitation = SurveyInvitation(
            tribunal_id=tribunal.id,
            hearing_id=hearing_id,
            party_id=party.id,
            token_hash=hash_token(token),
            hearing_mode=mode,
            expires_at=expires_at,
        )
        db.add(invitation)
        made.append(invitation)
        outbox.queue(
            db,
            to=party.email,
            language=party.language,
            template="hearing_survey",
            context={
                "name": party.name,
                "tribunal": tribunal,
                "reference": filing.reference,
                "url": outbox.url("accountability:feedback:survey", tribunal=tribunal.slug)
                + f"?token={token}",
                "expires_at": expires_at,
            },
            # The link is single-use: its body is removed once delivered.
            sensitive=True,
            tribunal_id=tribunal.id,
            case_id=filing.id,
        )
    return made


class LinkProblem(enum.Enum):
    """Why a survey link does not open the survey."""

    UNKNOWN = "unknown"  # no such link in this tribunal: 404
    EXPIRED = "expired"  # 400
    USED = "used"  # answered already: 409


async def invitation_for(
    db: AsyncSession, tribunal: Tribunal, token: str, *, now: datetime | None = None
) -> SurveyInvitation | LinkProblem:
    """Return the tribunal's open invitation a link's token names, or why there is none."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return LinkProblem.UNKNOWN
    invitation = (
        await db.execute(
            select(SurveyInvitation).where(
                SurveyInvitation.token_hash == hash_token(token),
                SurveyInvitation.tribunal_id == tribunal.id,
            )
        )
    ).scalar_one_or_none()
    if invitation is None:
        return LinkProblem.UNKNOWN
    if invitation.used:
        return LinkProblem.USED
    if invitation.expires_at <= (now or utcnow()):
        return LinkProblem.EXPIRED
    return invitation


@dataclass(frozen=True)
class SurveyValues:
    satisfaction: int  # 1 to 5
    could_take_part: SurveyChoice
    explained_clearly: SurveyChoice
    comment: str


async def record_answer(
    db: AsyncSession,
    tribunal: Tribunal,
    token: str,
    values: SurveyValues,
    *,
    language: str,
    now: datetime | None = None,
) -> LinkProblem | None:
    """Use the link and store its answers, anonymous (the comment scrubbed of email addresses
    and personal numbers); return None, or why the link does not work (nothing stored)."""
    now = now or utcnow()
    found = await invitation_for(db, tribunal, token, now=now)
    if isinstance(found, LinkProblem):
        return found
    # A compare-and-set: two answers sent at once through one link store one.
    used = await db.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.id == found.id,
            SurveyInvitation.used.is_(False),
            SurveyInvitation.expires_at > now,
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return LinkProblem.USED
    comment = await scrubbed(values.comment, removed_marker()) if values.comment else ""
    db.add(
        SurveyAnswer(
            tribunal_id=tribunal.id,
            hearing_mode=found.hearing_mode,
            language=language,
            month=local_today(tribunal.time_zone, now).replace(day=1),
            satisfaction=values.satisfaction,
            could_take_part=values.could_take_part,
            explained_clearly=values.explained_clearly,
            comment=comment,
        )
    )
    return None
