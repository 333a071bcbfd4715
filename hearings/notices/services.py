"""Notices of hearing to every participant, in their language, with a calendar invite."""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import Filing
from hearings.models import Hearing
from tribunals.models import Tribunal
from tribune.mail import Outbox


class HearingChange(enum.Enum):
    """What happened to a hearing, which its participants are told of."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"  # a new time, mode or place: the same UID, a higher SEQUENCE
    ADJOURNED = "adjourned"
    CANCELLED = "cancelled"


async def hearing_changed(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    change: HearingChange,
    *,
    reason: str = "",
) -> None:
    """Tell every participant of the hearing what changed, with the transaction that changed
    it, and plan (or drop) its reminders."""
    # The notices themselves (invites, printable notice, reminders) are the next increment.
