"""A scheduled hearing with every kind of participant, for the notice, invite and reminder
tests: a Toronto tribunal, a case whose claimant reads French and whose authorised
representative reads English, the adjudicator (English), and a Spanish interpreter with an
email address. Hearings are written directly (as the booking pages would leave them), then
``hearing_changed`` is called as the booking code calls it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from hearings.models import Hearing, HearingMode, HearingRoom, HearingStatus, Interpreter
from hearings.notices.services import HearingChange, hearing_changed
from tests.factories.filings import make_case
from tests.hearings.calendars import Calendar, make_calendar
from tribune.app import build_outbox
from tribune.mail import Outbox, OutboxMessage
from tribune.settings import Settings


@dataclass
class NoticeScene:
    calendar: Calendar
    filing: Filing
    claimant: CaseParty
    representative: CaseParty
    interpreter: Interpreter
    room: HearingRoom
    outbox: Outbox

    async def hearing(
        self,
        db: AsyncSession,
        starts_at: datetime,
        *,
        minutes: int = 90,
        mode: HearingMode = HearingMode.VIDEO,
        now: datetime | None = None,
    ) -> Hearing:
        """Write a scheduled hearing and tell its participants (BOOKED)."""
        hearing = Hearing(
            id=uuid.uuid4(),
            tribunal_id=self.calendar.tribunal.id,
            filing_id=self.filing.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            mode=mode,
            adjudicator_id=self.calendar.adjudicator.id,
            interpreter_id=self.interpreter.id,
            language="es",
            room_id=self.room.id if mode is HearingMode.IN_PERSON else None,
            status=HearingStatus.SCHEDULED,
            sequence=0,
        )
        hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
        db.add(hearing)
        await db.flush()
        await self.changed(db, hearing, HearingChange.BOOKED, now=now)
        return hearing

    async def changed(
        self,
        db: AsyncSession,
        hearing: Hearing,
        change: HearingChange,
        *,
        reason: str = "",
        now: datetime | None = None,
    ) -> list[OutboxMessage]:
        messages = await hearing_changed(
            db,
            self.outbox,
            self.calendar.tribunal,
            self.filing,
            hearing,
            change,
            reason=reason,
            now=now,
        )
        await db.commit()
        return messages

    async def move(
        self, db: AsyncSession, hearing: Hearing, starts_at: datetime, now: datetime | None = None
    ) -> list[OutboxMessage]:
        """Move the hearing as the reschedule code does: new times, a higher sequence."""
        length = hearing.ends_at - hearing.starts_at
        hearing.starts_at = starts_at
        hearing.ends_at = starts_at + length
        hearing.sequence += 1
        hearing.status_reason = "The adjudicator is ill."
        return await self.changed(
            db, hearing, HearingChange.RESCHEDULED, reason="The adjudicator is ill.", now=now
        )

    async def cancel(
        self, db: AsyncSession, hearing: Hearing, status: HearingStatus = HearingStatus.CANCELLED
    ) -> list[OutboxMessage]:
        hearing.status = status
        hearing.sequence += 1
        hearing.status_reason = "The claimant withdrew the appeal."
        change = (
            HearingChange.CANCELLED
            if status is HearingStatus.CANCELLED
            else HearingChange.ADJOURNED
        )
        return await self.changed(db, hearing, change, reason=hearing.status_reason)


async def make_notice_scene(db: AsyncSession, settings: Settings) -> NoticeScene:
    calendar = await make_calendar(db, contact_phone="416-555-0100")
    filing = await make_case(
        db,
        calendar.tribunal,
        status=FilingStatus.SCHEDULED,
        language="fr",
        name="Claire Tremblay",
        representative="Rita Rep",
    )
    parties = {
        party.role: party
        for party in await db.scalars(select(CaseParty).where(CaseParty.filing_id == filing.id))
    }
    claimant, representative = parties[PartyRole.CLAIMANT], parties[PartyRole.REPRESENTATIVE]
    claimant.language = "fr"
    representative.language = "en"
    assert representative.is_authorised
    interpreter = await calendar.interpreter(db, ["es"])
    interpreter.email = "ines.interpreter@example.org"
    room = await calendar.room(db)
    room.address = "25 Grosvenor Street\nToronto ON M7A 1Y6"
    room.accessibility_notes = "Step-free entrance on Grosvenor Street."
    await db.commit()
    return NoticeScene(
        calendar, filing, claimant, representative, interpreter, room, build_outbox(settings)
    )


async def notices_to(db: AsyncSession, address: str, template: str) -> list[OutboxMessage]:
    rows = await db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == address, OutboxMessage.template == template)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return list(rows)
