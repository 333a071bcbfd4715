"""The reminders job: every 5 minutes, text the hearing and deadline reminders that are due
(``accountability.texts.services``). Importing this module also registers what happens when a
text fails (``services.text_failed``: the number stops, the reminder goes by email)."""

from __future__ import annotations

from datetime import timedelta

from accountability.texts import services
from tribune import jobs
from tribune.db import utcnow

REMIND = "accountability.texts.remind"

jobs.recurring(REMIND, every=timedelta(minutes=5))


@jobs.handler(REMIND)
async def remind(context: jobs.JobContext) -> None:
    now = utcnow()
    await services.plan_hearing_reminders(context.db, context.outbox, now)
    await services.plan_deadline_reminders(context.db, context.outbox, now)
