"""Each hearing's video room: its own name of 128 random bits in lowercase letters and digits."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from hearings.models import Hearing, HearingMode
from tests.hearings.calendars import make_calendar, utc


async def test_every_hearing_gets_its_own_unguessable_room(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    hearings = []
    for _ in range(3):
        case = await calendar.accepted_case(db)
        hearing = Hearing(
            tribunal_id=calendar.tribunal.id,
            filing_id=case.id,
            starts_at=utc(2027, 3, 3, 15),
            ends_at=utc(2027, 3, 3, 16),
            mode=HearingMode.VIDEO,
            adjudicator_id=calendar.adjudicator.id,
            calendar_uid=f"hearing-{case.id}@tribune",
        )
        db.add(hearing)
        hearings.append(hearing)
    await db.commit()
    rooms = [hearing.video_room for hearing in hearings]
    # 26 base32 characters: 130 bits of room for 128 random ones; Jitsi lowercases names.
    assert all(re.fullmatch(r"[a-z2-7]{26}", room) for room in rooms), rooms
    assert len(set(rooms)) == 3
    for hearing in hearings:
        assert str(hearing.filing_id).replace("-", "")[:8] not in hearing.video_room
